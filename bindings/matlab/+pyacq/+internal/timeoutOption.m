function [args, t] = timeoutOption(args, default)
%TIMEOUTOPTION  Takes a trailing 'Timeout', milliseconds pair off the argument list ARGS (internal
%   helper of the pyacq package). T is the timeout for the gateway: that value, else DEFAULT
%   (both checked by timeoutMs: Inf = forever -> -1). The name is case-sensitive, so a node
%   keyword 'timeout' passes through.
  t = default;
  if numel(args) >= 2 && ischar(args{end - 1}) && strcmp(args{end - 1}, 'Timeout')
    t = args{end};
    args = args(1:end - 2);
  end
  t = pyacq.internal.timeoutMs(t);
end
