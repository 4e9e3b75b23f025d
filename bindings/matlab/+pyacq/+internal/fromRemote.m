function v = fromRemote(json, owner)
%FROMREMOTE  Decodes a remote call's JSON result (internal helper of the pyacq package):
%   jsondecode, then ndarray and bytes marker maps become MATLAB arrays and proxy maps
%   become pyacq.Proxy objects (NodeGroup / Node / StreamProxy when their type is known),
%   which keep OWNER alive.
  if nargin < 2
    owner = [];
  end
  if isempty(json) || strcmp(json, 'null')
    v = [];
    return;
  end
  v = decode(pyacq.internal.fromJson(json), owner);
end

function v = decode(v, owner)
  if isstruct(v)
    tag = markerType(v);
    if ~isempty(tag)
      if isscalar(v)
        v = decodeMarker(v, tag, owner);
      else
        c = cell(size(v));
        for k = 1:numel(v)
          c{k} = decodeMarker(v(k), tag, owner);
        end
        v = c;
      end
      return;
    end
    names = fieldnames(v);
    if isempty(names)
      return;
    end
    decoded = cell(numel(v), numel(names));
    changed = false;
    for k = 1:numel(v)
      for f = 1:numel(names)
        x = v(k).(names{f});
        if isstruct(x) || iscell(x)
          decoded{k, f} = decode(x, owner);
          changed = true;
        else
          decoded{k, f} = x;
        end
      end
    end
    if changed
      if isscalar(v)
        for f = 1:numel(names)
          v.(names{f}) = decoded{1, f};
        end
      else
        % a field may turn into an object: keep the elements apart
        c = cell(size(v));
        for k = 1:numel(v)
          c{k} = cell2struct(decoded(k, :).', names, 1);
        end
        v = c;
      end
    end
  elseif iscell(v)
    for k = 1:numel(v)
      v{k} = decode(v{k}, owner);
    end
  end
end

function tag = markerType(v)
  tag = '';
  names = fieldnames(v);
  key = names(strcmp(names, '___type_name___') | strcmp(names, 'x___type_name___'));
  if ~isempty(key) && ischar(v(1).(key{1}))
    tag = v(1).(key{1});
  end
end

function x = decodeMarker(m, tag, owner)
  switch tag
    case 'ndarray'
      x = pyacq.internal.decodeNdarray(m.data, m.dtype, m.shape);
    case 'bytes'
      x = pyacq.internal.base64Decode(m.data);
    case 'proxy'
      x = pyacq.Proxy.fromMap(m, owner);
    otherwise
      x = m;
  end
end
