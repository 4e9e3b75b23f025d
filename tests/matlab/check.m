function check(cond, varargin)
%CHECK  Fails the current test (error 'test:check') unless COND is true.
%   check(cond, fmt, args...) — the message is sprintf(fmt, args...).
  if ~(islogical(cond) || isnumeric(cond)) || isempty(cond) || ~all(cond(:))
    if isempty(varargin)
      msg = 'check failed';
    else
      msg = sprintf(varargin{:});
    end
    error('test:check', '%s', msg);
  end
end
