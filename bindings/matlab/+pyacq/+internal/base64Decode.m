function bytes = base64Decode(text)
%BASE64DECODE  The bytes (uint8 column) of base64 TEXT (internal helper of the pyacq package):
%   the standard or URL-safe alphabet, whitespace ignored, padding optional. Invalid text
%   raises pyacq:malformed.
  if ~ischar(text)
    error('pyacq:malformed', 'base64 data must be text, got a %s', class(text));
  end
  text = regexprep(reshape(text, 1, []), '\s', '');
  text = strrep(strrep(text, '-', '+'), '_', '/');
  body = regexprep(text, '=+$', '');
  if isempty(body) && isempty(text)
    bytes = zeros(0, 1, 'uint8');
    return;
  end
  if any(~ismember(body, ['A':'Z', 'a':'z', '0':'9', '+/'])) || isempty(body) || mod(numel(body), 4) == 1 ...
     || numel(text) - numel(body) > 2
    error('pyacq:malformed', 'invalid base64 data');
  end
  body = [body, repmat('=', 1, mod(-numel(body), 4))];
  bytes = reshape(matlab.net.base64decode(body), [], 1);
end
