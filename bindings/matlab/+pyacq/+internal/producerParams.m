function json = producerParams(source, accepted)
%PRODUCERPARAMS  A producer's params as JSON text, for connect (internal helper of the pyacq
%   package): SOURCE is a pyacq.OutputStream, its params struct or params JSON text. Anything
%   else raises pyacq:argument "connect takes ACCEPTED, got a <class>".
  if isa(source, 'pyacq.OutputStream')
    json = source.paramsJson();
  elseif isstruct(source)
    json = pyacq.internal.toJson(source);
  elseif ischar(source)
    json = source;
  else
    error('pyacq:argument', 'connect takes %s, got a %s', accepted, class(source));
  end
end
