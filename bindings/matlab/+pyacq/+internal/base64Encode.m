function text = base64Encode(bytes)
%BASE64ENCODE  Standard base64 (RFC 4648, padded: what Python's base64.b64encode writes) of a
%   uint8 vector, as a char row (internal helper of the pyacq package; matlab.net.base64encode
%   exists in MATLAB and in Octave >= 7, neither takes an empty input).
  if isempty(bytes)
    text = '';
  else
    text = matlab.net.base64encode(reshape(uint8(bytes), 1, []));
  end
end
