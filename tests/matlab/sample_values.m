function x = sample_values(cls, dims)
%SAMPLE_VALUES  Test array of class CLS and size DIMS: distinct values (so a transposed or
%   shifted element is caught) plus each type's extremes (intmin/intmax, NaN, ±Inf, -0, realmax).
  n = prod(dims);
  k = (0:n - 1).';
  base = mod(k * 37, 100);           % a permutation of 0..99 for n <= 100
  switch cls
    case 'logical'
      x = reshape(mod(k * 7, 3) == 1, dims);
      return;
    case {'double', 'single'}
      v = cast(base - 50 + 0.25, cls);
      specials = cast([NaN, Inf, -Inf, -0, realmax(cls), -realmax(cls), realmin(cls), eps(cls), 1/3], cls);
    otherwise
      if intmin(cls) < 0
        v = cast(base - 50, cls);
      else
        v = cast(base, cls);
      end
      specials = [intmin(cls), intmax(cls), intmax(cls) - 1, intmin(cls) + 1];
  end
  m = min(numel(specials), n);
  v(1:m) = specials(1:m);
  x = reshape(v, dims);
end
