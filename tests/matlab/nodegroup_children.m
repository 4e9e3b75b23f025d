function [pids, states] = nodegroup_children(timeout_s)
%NODEGROUP_CHILDREN  Process ids (and /proc states, e.g. 'S', 'Z') of the pyacq-nodegroup
%   processes whose parent is this Octave, read from /proc.
%   nodegroup_children(timeout_s): polls (bounded) until none is left or TIMEOUT_S seconds
%   passed, and returns those still there (zombies included: a child not reaped is a leak too).
  if nargin < 1
    timeout_s = 0;
  end
  t0 = tic;
  while true
    [pids, states] = scan();
    if isempty(pids) || toc(t0) >= timeout_s
      return;
    end
    pause(0.02);
  end
end

function [pids, states] = scan()
  me = getpid();
  pids = [];
  states = '';
  % readdir: dir() lstat()s every entry and warns about processes that end meanwhile
  names = readdir('/proc');
  for k = 1:numel(names)
    name = names{k};
    if isempty(regexp(name, '^\d+$', 'once'))
      continue;
    end
    try
      stat = fileread(['/proc/' name '/stat']);
    catch
      continue;   % the process ended meanwhile
    end
    open = find(stat == '(', 1);
    close = find(stat == ')', 1, 'last');
    if isempty(open) || isempty(close)
      continue;
    end
    comm = stat(open + 1:close - 1);
    fields = strsplit(strtrim(stat(close + 1:end)), ' ');
    if numel(fields) < 2
      continue;
    end
    % comm is truncated to 15 characters: "pyacq-nodegroup" fits exactly
    if str2double(fields{2}) == me && strncmp(comm, 'pyacq-nodegroup', 15)
      pids(end + 1) = str2double(name); %#ok<AGROW>
      states(end + 1) = fields{1}(1); %#ok<AGROW>
    end
  end
end
