function check_equal(got, expected, what)
%CHECK_EQUAL  Same class, same size, and every element equal (bit for bit for floats, so NaN,
%   -0 and Inf are compared exactly). Reports the first differing element.
  if nargin < 3
    what = 'value';
  end
  check(strcmp(class(got), class(expected)), '%s: class %s, expected %s', what, class(got), class(expected));
  check(isequal(size(got), size(expected)), '%s: size [%s], expected [%s]', what, ...
        num2str(size(got)), num2str(size(expected)));
  g = got(:);
  e = expected(:);
  if islogical(g)
    same = g == e;
  elseif isfloat(g)
    same = (g == e) | (isnan(g) & isnan(e));
    bits = reshape(typecast(g, 'uint8'), [], numel(g)) == reshape(typecast(e, 'uint8'), [], numel(e));
    same = same & all(bits, 1).';
  else
    same = g == e;
  end
  bad = find(~same, 1);
  if ~isempty(bad)
    sub = cell(1, ndims(got));
    [sub{:}] = ind2sub(size(got), bad);
    error('test:check', '%s: %d of %d elements differ; first at (%s): got %s, expected %s', what, ...
          nnz(~same), numel(same), num2str([sub{:}]), num2str(double(g(bad)), 17), num2str(double(e(bad)), 17));
  end
end
