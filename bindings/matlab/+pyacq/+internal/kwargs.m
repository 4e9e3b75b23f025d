function kw = kwargs(varargin)
%KWARGS  Keyword arguments for a remote call (internal helper of the pyacq package):
%   ()                       -> [] (none)
%   ('{"a": 1}')             -> the JSON text itself
%   (s)                      -> struct s
%   ('name', value, ...)     -> struct of the pairs
%   (s, 'name', value, ...)  -> s updated by the pairs
%   Proxies and OutputStreams inside are replaced by their wire form (encodeArg).
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
  kw = struct();
  args = varargin;
  if isstruct(args{1})
    if ~isscalar(args{1})
      error('pyacq:argument', 'keyword arguments must be a scalar struct');
    end
    kw = args{1};
    args = args(2:end);
  end
  if mod(numel(args), 2) ~= 0
    error('pyacq:argument', 'keyword arguments must be a struct, JSON text or name/value pairs');
  end
  for k = 1:2:numel(args)
    name = args{k};
    if ~ischar(name) || isempty(name)
      error('pyacq:argument', 'keyword names must be text, got a %s', class(name));
    end
    kw.(name) = args{k + 1};
  end
  kw = pyacq.internal.encodeArg(kw);
end
