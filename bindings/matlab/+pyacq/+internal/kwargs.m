function kw = kwargs(varargin)
%KWARGS  Keyword arguments for a remote call as JSON text (internal helper of the pyacq package):
%   ()                       -> [] (none)
%   ('{"a": 1}')             -> the JSON text itself
%   (s)                      -> struct s
%   ('name', value, ...)     -> struct of the pairs
%   (s, 'name', value, ...)  -> s updated by the pairs
%   encoded by pyacq.internal.encode (ndarrays, proxies, OutputStreams ...).
  if isempty(varargin) || (numel(varargin) == 1 && isnumeric(varargin{1}) && isempty(varargin{1}))
    kw = [];
    return;
  end
  if numel(varargin) == 1 && ischar(varargin{1})
    text = strtrim(varargin{1});
    if isempty(text) || text(1) ~= '{'
      error('pyacq:argument', 'keyword ''%s'' has no value (name/value pairs, a struct or JSON text)', varargin{1});
    end
    kw = varargin{1};
    return;
  end
  kw = pyacq.internal.encode(pyacq.internal.structFromPairs(varargin, 'keyword arguments'));
end
