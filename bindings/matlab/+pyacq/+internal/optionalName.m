function [name, t] = optionalName(args, defaultTimeout, usage)
%OPTIONALNAME  The arguments (name) of a method with an optional name and a trailing
%   'Timeout', ms pair (internal helper of the pyacq package): NAME ([] if not given) and the
%   timeout for the gateway. More arguments raise pyacq:argument with USAGE.
  [args, t] = pyacq.internal.timeoutOption(args, defaultTimeout);
  if numel(args) > 1
    error('pyacq:argument', 'too many arguments; usage: %s', usage);
  end
  name = [];
  if ~isempty(args)
    name = args{1};
  end
end
