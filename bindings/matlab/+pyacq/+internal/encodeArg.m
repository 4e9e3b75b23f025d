function v = encodeArg(v)
%ENCODEARG  Replaces the pyacq objects inside a value (struct / cell, recursively) by their
%   wire form for the gateway's JSON encoder (internal helper of the pyacq package): a
%   pyacq.Proxy by its proxy map, a pyacq.OutputStream by its params.
  if isa(v, 'pyacq.Proxy')
    v = v.marker();
  elseif isa(v, 'pyacq.OutputStream')
    v = struct('pyacq_raw_json__', v.paramsJson());
  elseif iscell(v)
    for k = 1:numel(v)
      v{k} = pyacq.internal.encodeArg(v{k});
    end
  elseif isstruct(v)
    names = fieldnames(v);
    for k = 1:numel(v)
      for f = 1:numel(names)
        x = v(k).(names{f});
        if isstruct(x) || iscell(x) || isa(x, 'pyacq.Proxy') || isa(x, 'pyacq.OutputStream')
          v(k).(names{f}) = pyacq.internal.encodeArg(x);
        end
      end
    end
  end
end
