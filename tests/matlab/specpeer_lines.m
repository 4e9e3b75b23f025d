function lines = specpeer_lines(peer, count, timeout_s)
%SPECPEER_LINES  Waits until the peer printed COUNT complete lines (or ended) and returns all
%   complete lines so far. Polls its output file (waiting for another process, not for ZeroMQ).
  if nargin < 3
    timeout_s = 20;
  end
  t0 = tic;
  while true
    lines = read_complete_lines(peer.out);
    if numel(lines) >= count || exist(peer.rc, 'file')
      lines = read_complete_lines(peer.out);
      return;
    end
    if toc(t0) > timeout_s
      fclose(fopen(peer.release, 'w'));   % let a held peer go
      error('test:check', 'spec peer printed %d of %d lines within %g s; stderr: %s', numel(lines), count, ...
            timeout_s, fileread_safe(peer.err));
    end
    pause(0.02);
  end
end

function lines = read_complete_lines(file)
  text = fileread_safe(file);
  cut = find(text == sprintf('\n'), 1, 'last');
  if isempty(cut)
    lines = {};
  else
    lines = strsplit(text(1:cut - 1), sprintf('\n'));
  end
end

function text = fileread_safe(file)
  text = '';
  if exist(file, 'file')
    text = fileread(file);
  end
end
