function json = encode(value)
%ENCODE  A MATLAB value as JSON text for a remote call: an argument, a keyword, a node's
%   configure value (internal helper of the pyacq package).
%
%     scalar struct -> object            struct array / cell -> list (linear order)
%     char row -> string                 numeric or logical scalar -> number / true / false
%     [] (0 x 0) -> null                 NaN, Inf -> NaN, Infinity (as Python's json writes)
%     any other numeric or logical array -> pyacq's ndarray marker map: MATLAB size [d1 .. dk]
%       is the numpy shape (d1, .., dk), the same element at the same subscripts (data in C
%       order, base64), the MATLAB class as dtype (double -> float64, logical -> bool ...)
%     pyacq.Proxy -> its proxy marker map   pyacq.OutputStream -> its params
%     struct('pyacq_raw_json__', text) -> TEXT verbatim (checked to be one JSON value)
%
%   The text is written as Python's json.dumps writes it (", " and ": " separators); numbers
%   are the shortest text that reads back as the same value (integers exactly, int64 too).
  json = encode_value(value, 'value', 0);
end

function t = encode_value(v, path, depth)
  if depth > 64
    error('pyacq:argument', '%s: values nested more than 64 levels deep', path);
  end
  if isa(v, 'pyacq.Proxy')
    t = v.json();
  elseif isa(v, 'pyacq.OutputStream')
    t = v.paramsJson();
  elseif isstruct(v)
    names = fieldnames(v);
    if isscalar(v) && numel(names) == 1 && strcmp(names{1}, 'pyacq_raw_json__')
      t = raw_json(v.pyacq_raw_json__, path);
    elseif isscalar(v)
      t = encode_struct(v, names, path, depth);
    else
      parts = cell(1, numel(v));
      for k = 1:numel(v)
        parts{k} = encode_struct(v(k), names, sprintf('%s(%d)', path, k), depth + 1);
      end
      t = ['[', strjoin(parts, ', '), ']'];
    end
  elseif iscell(v)
    parts = cell(1, numel(v));
    for k = 1:numel(v)
      parts{k} = encode_value(v{k}, sprintf('%s{%d}', path, k), depth + 1);
    end
    t = ['[', strjoin(parts, ', '), ']'];
  elseif ischar(v)
    if isempty(v)
      t = '""';
    elseif ~isrow(v)
      error('pyacq:argument', '%s: text must be a character row vector (use a cell array for several strings)', path);
    else
      t = jsonencode(v);
    end
  elseif isnumeric(v) || islogical(v)
    if isequal(size(v), [0 0])
      t = 'null';
    elseif issparse(v)
      error('pyacq:argument', '%s: sparse arrays cannot be sent (use full())', path);
    elseif ~isreal(v)
      error('pyacq:dtype', '%s: complex arrays are not supported by the MATLAB binding', path);
    elseif isscalar(v)
      t = encode_scalar(v);
    else
      t = encode_ndarray(v);
    end
  else
    error('pyacq:argument', '%s: a %s value cannot be sent (numbers, logicals, text, structs and cells can)', ...
          path, class(v));
  end
end

function t = encode_struct(s, names, path, depth)
  parts = cell(1, numel(names));
  for f = 1:numel(names)
    parts{f} = [jsonencode(names{f}), ': ', encode_value(s.(names{f}), [path, '.', names{f}], depth + 1)];
  end
  t = ['{', strjoin(parts, ', '), '}'];
end

function t = raw_json(text, path)
  if ~ischar(text)
    error('pyacq:argument', '%s.pyacq_raw_json__ must be JSON text', path);
  end
  try
    jsondecode(text);
  catch
    error('pyacq:params', '%s.pyacq_raw_json__ is not one JSON value', path);
  end
  t = text;
end

function t = encode_scalar(v)
  if islogical(v)
    if v
      t = 'true';
    else
      t = 'false';
    end
  elseif isa(v, 'double')
    t = shortest(v, 15, @(x) x);
  elseif isa(v, 'single')
    t = shortest(double(v), 6, @single);
  elseif strncmp(class(v), 'uint', 4)
    t = sprintf('%u', v);
  else
    t = sprintf('%d', v);
  end
end

function t = shortest(d, from, as)
  % the shortest %g text that reads back as the same value (of the class AS converts to)
  if isnan(d)
    t = 'NaN';
  elseif isinf(d)
    if d > 0
      t = 'Infinity';
    else
      t = '-Infinity';
    end
  else
    for p = from:17
      t = sprintf(sprintf('%%.%dg', p), d);
      if as(str2double(t)) == as(d)
        break;
      end
    end
  end
end

function t = encode_ndarray(v)
  shape = size(v);
  nd = numel(shape);
  if nnz(shape > 1) > 1
    v = permute(v, nd:-1:1);   % C order of the same subscripts
  end
  if islogical(v)
    bytes = uint8(v(:));
  elseif isempty(v)
    bytes = [];
  else
    bytes = typecast(v(:), 'uint8');
  end
  t = sprintf('{"___type_name___": "ndarray", "dtype": "%s", "shape": [%s], "data": "%s"}', ...
              pyacq.internal.classOf(class(v), 'dtype'), strjoin(arrayfun(@(d) sprintf('%d', d), shape, 'UniformOutput', false), ', '), ...
              pyacq.internal.base64Encode(bytes));
end
