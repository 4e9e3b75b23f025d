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
  s = pyacq.internal.structFromPairs(varargin, 'params');
  if isfield(s, 'shape') && isnumeric(s.shape)
    s.shape = num2cell(double(s.shape(:).'));
  end
  if isfield(s, 'dtype') && ischar(s.dtype) && strcmp(s.dtype, 'logical')
    s.dtype = 'bool';
  end
  json = jsonencode(s);
end
