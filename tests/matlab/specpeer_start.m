function peer = specpeer_start(args, params_json)
%SPECPEER_START  Starts `python3 -m specpeer ARGS` (tests/python/specpeer) in the background.
%   PARAMS_JSON (optional) is written to a file and appended as `--params @FILE`. stdout lines
%   go to peer.out, stderr to peer.err, the exit code to peer.rc once the process ends. The
%   peer always ends by itself (its --timeout-ms), so nothing needs killing.
  peer.dir = tempname();
  mkdir(peer.dir);
  peer.out = fullfile(peer.dir, 'out.jsonl');
  peer.err = fullfile(peer.dir, 'err.txt');
  peer.rc = fullfile(peer.dir, 'rc');
  if nargin > 1
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
  cmd = sprintf('cd ''%s'' && (%s -m specpeer %s > ''%s'' 2> ''%s''; echo $? > ''%s.tmp''; mv ''%s.tmp'' ''%s'') < /dev/null > /dev/null 2>&1 &', ...
                pydir, python, args, peer.out, peer.err, peer.rc, peer.rc, peer.rc);
  status = system(cmd);
  check(status == 0, 'could not start the spec peer: %s', cmd);
end
