function json = toJson(varargin)
%TOJSON  pyacq params / options as JSON text (internal helper of the pyacq package).
%   json = pyacq.internal.toJson() or toJson([])       -> '' (no params)
%   json = pyacq.internal.toJson('{"dtype": "int16"}')  -> the text itself
%   json = pyacq.internal.toJson(s)                     -> jsonencode of struct s
%   json = pyacq.internal.toJson('name', value, ...)    -> name/value pairs
%   json = pyacq.internal.toJson(s, 'name', value, ...) -> struct s updated by the pairs
%
%   A numeric 'shape' is always encoded as a JSON list (also when it has one element), and a
%   MATLAB class name given as 'dtype' is translated ('logical' -> 'bool'; 'double', 'single',
%   'int8' ... 'uint64' are numpy names already).
  if nargin > 0 && isnumeric(varargin{1}) && isempty(varargin{1})
    varargin = varargin(2:end);   % [] = no params
  end
  if isempty(varargin)
    json = '';
    return;
  end
  if numel(varargin) == 1 && ischar(varargin{1})
    json = varargin{1};
    return;
  end
  s = struct();
  args = varargin;
  if isstruct(args{1})
    if ~isscalar(args{1})
      error('pyacq:argument', 'params must be a scalar struct');
    end
    s = args{1};
    args = args(2:end);
  end
  if mod(numel(args), 2) ~= 0
    error('pyacq:argument', 'params must be a struct, JSON text or name/value pairs');
  end
  for k = 1:2:numel(args)
    name = args{k};
    if ~ischar(name) || isempty(name)
      error('pyacq:argument', 'parameter names must be text, got a %s', class(name));
    end
    s.(name) = args{k + 1};
  end
  if isfield(s, 'shape') && isnumeric(s.shape)
    s.shape = num2cell(double(s.shape(:).'));
  end
  if isfield(s, 'dtype') && ischar(s.dtype) && strcmp(s.dtype, 'logical')
    s.dtype = 'bool';
  end
  json = jsonencode(s);
end
