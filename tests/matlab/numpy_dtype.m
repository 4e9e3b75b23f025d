function d = numpy_dtype(cls)
%NUMPY_DTYPE  numpy dtype name of a MATLAB class.
  switch cls
    case 'double', d = 'float64';
    case 'single', d = 'float32';
    case 'logical', d = 'bool';
    otherwise, d = cls;
  end
end
