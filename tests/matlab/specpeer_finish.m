function [rc, lines, err] = specpeer_finish(peer, timeout_s)
%SPECPEER_FINISH  Waits for the peer to end; returns its exit code, stdout lines and stderr.
  if nargin < 2
    timeout_s = 30;
  end
  fid = fopen(peer.release, 'w');     % ends a held producer (see specpeer_start)
  if fid >= 0
    fclose(fid);
  end
  t0 = tic;
  while ~exist(peer.rc, 'file')
    if toc(t0) > timeout_s
      error('test:check', 'spec peer did not end within %g s', timeout_s);
    end
    pause(0.02);
  end
  rc = str2double(strtrim(fileread(peer.rc)));
  lines = specpeer_lines(peer, 0, 1);
  err = fileread(peer.err);
  if exist(peer.dir, 'dir')
    delete(fullfile(peer.dir, '*'));
    rmdir(peer.dir);
  end
end
