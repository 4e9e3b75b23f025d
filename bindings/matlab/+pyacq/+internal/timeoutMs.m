function t = timeoutMs(t)
%TIMEOUTMS  Validates a timeout in milliseconds ([] or Inf = forever -> -1).
  if isempty(t)
    t = -1;
  elseif ~isnumeric(t) || ~isscalar(t) || ~isreal(t) || isnan(t)
    error('pyacq:argument', 'the timeout must be a number of milliseconds (Inf = forever)');
  elseif isinf(t) && t > 0
    t = -1;
  end
end
