function x = decodeNdarray(data, dtype, shape)
%DECODENDARRAY  The MATLAB array of pyacq's ndarray marker map {data, dtype, shape}
%   (internal helper of the pyacq package): MATLAB size = numpy shape, the same element at the
%   same subscripts; shape () is a scalar, (n,) a column. Raises pyacq:dtype for a dtype without
%   MATLAB class and pyacq:malformed for data that do not match.
  [canon, itemsize] = pyacq_mex('dtype_normalize', dtype);
  cls = pyacq.internal.classOf(canon);
  if isempty(cls)
    error('pyacq:dtype', 'dtype ''%s'' has no MATLAB equivalent', dtype);
  end
  if ~isnumeric(shape) || ~isreal(shape)
    error('pyacq:malformed', 'the ndarray shape must be a list of integers');
  end
  shape = double(shape(:).');
  if any(shape < 0 | shape ~= floor(shape))
    error('pyacq:malformed', 'invalid ndarray shape %s', mat2str(shape));
  end
  bytes = pyacq.internal.base64Decode(data);
  expected = prod(shape) * itemsize;
  if numel(bytes) ~= expected
    error('pyacq:malformed', 'the ndarray data has %d bytes, expected %d for dtype %s and %d elements', ...
          numel(bytes), expected, canon, prod(shape));
  end
  if strcmp(cls, 'logical')
    x = bytes ~= 0;
  elseif isempty(bytes)
    x = zeros(0, 1, cls);
  else
    x = typecast(bytes, cls);
  end
  k = numel(shape);
  if k == 0
    x = reshape(x, 1, 1);
  elseif k == 1
    x = reshape(x, shape, 1);
  else
    x = permute(reshape(x, fliplr(shape)), k:-1:1);
  end
end
