function varargout = build_mex(varargin)
%BUILD_MEX  Compiles pyacq_mex, the MEX gateway of libpyacq (pyacq_mex.c and the mex_*.c files
%   it dispatches to), in MATLAB or GNU Octave.
%
%   build_mex()                      builds next to this file
%   build_mex('OutDir', d)           builds into folder d
%   build_mex(..., 'LibDir', d)      folder holding libpyacq.so (.dylib / .lib)
%   build_mex(..., 'IncludeDir', d)  folder holding pyacq.h
%   build_mex(..., 'Verbose', true)
%   mexfile = build_mex(...)         full path of the built gateway
%
%   libpyacq is looked up in: 'LibDir', the environment variable LIBPYACQ_DIR, <repo>/build/lib
%   (after `make lib`), /usr/local/lib, /usr/lib. pyacq.h in: 'IncludeDir', LIBPYACQ_INCLUDE,
%   <repo>/include, /usr/local/include, /usr/include. On Linux and macOS the library folder is
%   recorded as rpath, so nothing else is needed at run time.
%
%   Afterwards: addpath(<this folder>) (and the output folder) to use +pyacq and pyacq_mex.

  here = fileparts(mfilename('fullpath'));
  repo = fileparts(fileparts(here));
  opts = struct('OutDir', here, 'LibDir', '', 'IncludeDir', '', 'Verbose', false);
  if mod(numel(varargin), 2) ~= 0
    error('pyacq:argument', 'build_mex takes name/value pairs');
  end
  for k = 1:2:numel(varargin)
    name = varargin{k};
    match = find(strcmpi(name, fieldnames(opts)));
    if isempty(match)
      error('pyacq:argument', 'unknown option ''%s''', name);
    end
    names = fieldnames(opts);
    opts.(names{match}) = varargin{k + 1};
  end

  isOctave = exist('OCTAVE_VERSION', 'builtin') ~= 0;
  if ispc
    libnames = {'pyacq.lib', 'libpyacq.lib', 'pyacq.dll'};
  elseif ismac
    libnames = {'libpyacq.dylib'};
  else
    libnames = {'libpyacq.so'};
  end
  libdir = find_dir(opts.LibDir, 'LIBPYACQ_DIR', ...
                    {fullfile(repo, 'build', 'lib'), '/usr/local/lib', '/usr/lib'}, libnames, 'libpyacq');
  incdir = find_dir(opts.IncludeDir, 'LIBPYACQ_INCLUDE', ...
                    {fullfile(repo, 'include'), '/usr/local/include', '/usr/include'}, {'pyacq.h'}, 'pyacq.h');
  % the gateway's translation units (mex_private.h lists what each holds)
  units = {'pyacq_mex.c', 'mex_errors.c', 'mex_handles.c', 'mex_args.c', 'mex_arrays.c', ...
           'mex_streams.c', 'mex_ringbuffer.c', 'mex_rpc.c', 'mex_graph.c', 'mex_devices.c', 'mex_time.c'};
  src = cellfun(@(u) fullfile(here, u), units, 'UniformOutput', false);
  if ~exist(opts.OutDir, 'dir')
    mkdir(opts.OutDir);
  end

  if isOctave
    mexfile = fullfile(opts.OutDir, 'pyacq_mex.mex');
    args = {'--mex', '-o', mexfile, ['-I' incdir], ['-I' here], ['-L' libdir], '-lpyacq'};
    if ~ispc
      args{end + 1} = ['-Wl,-rpath,' libdir];
    end
    if opts.Verbose
      args{end + 1} = '-v';
    end
    [output, status] = mkoctfile(args{:}, src{:});
    if status ~= 0
      error('pyacq:build', 'mkoctfile failed:\n%s', output);
    end
    if opts.Verbose && ~isempty(output)
      disp(output);
    end
  else
    mexfile = fullfile(opts.OutDir, ['pyacq_mex.' mexext]);
    args = {'-outdir', opts.OutDir, '-output', 'pyacq_mex', ['-I' incdir], ['-I' here], ['-L' libdir], '-lpyacq'};
    if ~ispc
      args{end + 1} = ['LDFLAGS=$LDFLAGS -Wl,-rpath,' libdir];
    end
    if opts.Verbose
      args{end + 1} = '-v';
    end
    mex(args{:}, src{:});
  end
  fprintf('built %s (libpyacq from %s)\n', mexfile, libdir);
  if nargout > 0
    varargout{1} = mexfile;
  end
end

function d = find_dir(given, envname, candidates, filenames, what)
  if ~isempty(given)
    candidates = {given};
  else
    env = getenv(envname);
    if ~isempty(env)
      candidates = [{env}, candidates];
    end
  end
  for i = 1:numel(candidates)
    for j = 1:numel(filenames)
      if exist(fullfile(candidates{i}, filenames{j}), 'file')
        d = candidates{i};
        return;
      end
    end
  end
  error('pyacq:build', 'cannot find %s in: %s (build it with `make lib`, or pass the folder)', ...
        what, strjoin(candidates, ', '));
end
