function x = ramp_chunk(first, len, nchan, cls)
%RAMP_CHUNK  The spec peer's ramp pattern as a [len x nchan] MATLAB array of class CLS:
%   element (sample s, channel c) = s * 1000 + c, cast as numpy's astype does (integers wrap
%   modulo 2^bits, logical = nonzero).
  v = (first:first + len - 1).' * 1000 + (0:nchan - 1);
  switch cls
    case {'double', 'single'}
      x = cast(v, cls);
    case 'logical'
      x = v ~= 0;
    otherwise
      bits = 8 * numel(typecast(zeros(1, 1, cls), 'uint8'));
      if bits < 64
        v = mod(v, 2^bits);
        if intmin(cls) < 0
          v(v >= 2^(bits - 1)) = v(v >= 2^(bits - 1)) - 2^bits;
        end
      end
      x = cast(v, cls);
  end
end
