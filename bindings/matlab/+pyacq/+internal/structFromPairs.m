function s = structFromPairs(args, what)
%STRUCTFROMPAIRS  A scalar struct from (s), ('name', value, ...) or (s, 'name', value, ...):
%   struct S updated by the pairs (internal helper of the pyacq package). WHAT names the values
%   in errors ('params', 'keyword arguments').
  s = struct();
  if ~isempty(args) && isstruct(args{1})
    if ~isscalar(args{1})
      error('pyacq:argument', '%s must be a scalar struct', what);
    end
    s = args{1};
    args = args(2:end);
  end
  if mod(numel(args), 2) ~= 0
    error('pyacq:argument', '%s must be a struct, JSON text or name/value pairs', what);
  end
  for k = 1:2:numel(args)
    name = args{k};
    if ~ischar(name) || isempty(name)
      error('pyacq:argument', 'names in the %s must be text, got a %s', what, class(name));
    end
    s.(name) = args{k + 1};
  end
end
