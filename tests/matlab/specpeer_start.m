function peer = specpeer_start(args, params_json, hold)
%SPECPEER_START  Starts `python3 -m specpeer ARGS` (tests/python/specpeer) in the background.
%   PARAMS_JSON (optional, '' = none) is written to a file and appended as `--params @FILE`.
%   stdout lines go to peer.out, stderr to peer.err, the exit code to peer.rc once the process
%   ends. HOLD (for `send`): adds --hold and keeps the peer's stdin open until
%   specpeer_finish (or at most 60 s), so the producer does not exit -- dropping what its
%   ZeroMQ context has not flushed yet -- before we received everything. The peer always ends
%   by itself (its --timeout-ms, the bounded hold), so nothing needs killing.
  if nargin < 3
    hold = false;
  end
  peer.dir = tempname();
  mkdir(peer.dir);
  peer.out = fullfile(peer.dir, 'out.jsonl');
  peer.err = fullfile(peer.dir, 'err.txt');
  peer.rc = fullfile(peer.dir, 'rc');
  peer.release = fullfile(peer.dir, 'release');
  if nargin > 1 && ~isempty(params_json)
    pfile = fullfile(peer.dir, 'params.json');
    fid = fopen(pfile, 'w');
    fwrite(fid, params_json);
    fclose(fid);
    args = sprintf('%s --params @%s', args, pfile);
  end
  pydir = fullfile(fileparts(fileparts(mfilename('fullpath'))), 'python');
  python = getenv('PYTHON');
  if isempty(python)
    python = 'python3';
  end
  feeder = '';
  if hold
    % stdin = a pipe that closes once peer.release exists (or after 60 s)
    args = [args ' --hold'];
    feeder = sprintf('for i in $(seq 1 1200); do [ -e ''%s'' -o ! -d ''%s'' ] && break; sleep 0.05; done | ', ...
                     peer.release, peer.dir);
  end
  % the exit code is written by the python side of the pipeline, as soon as python ends
  cmd = sprintf('cd ''%s'' && (%s(%s -m specpeer %s > ''%s'' 2> ''%s''; echo $? > ''%s.tmp''; mv ''%s.tmp'' ''%s'')) < /dev/null > /dev/null 2>&1 &', ...
                pydir, feeder, python, args, peer.out, peer.err, peer.rc, peer.rc, peer.rc);
  status = system(cmd);
  check(status == 0, 'could not start the spec peer: %s', cmd);
end
