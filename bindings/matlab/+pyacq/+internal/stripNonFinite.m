function out = stripNonFinite(json)
%STRIPNONFINITE  Replaces the bare tokens NaN, Infinity and -Infinity (outside strings) by null.
  out = '';
  k = 1;
  n = numel(json);
  instr = false;
  start = 1;
  while k <= n
    c = json(k);
    if instr
      if c == '\'
        k = k + 2;
        continue;
      elseif c == '"'
        instr = false;
      end
      k = k + 1;
    elseif c == '"'
      instr = true;
      k = k + 1;
    else
      tok = '';
      if strncmp(json(k:end), '-Infinity', 9)
        tok = '-Infinity';
      elseif strncmp(json(k:end), 'Infinity', 8)
        tok = 'Infinity';
      elseif strncmp(json(k:end), 'NaN', 3)
        tok = 'NaN';
      end
      if isempty(tok)
        k = k + 1;
      else
        out = [out, json(start:k - 1), 'null']; %#ok<AGROW>
        k = k + numel(tok);
        start = k;
      end
    end
  end
  out = [out, json(start:end)];
end
