function nfailed = test_remote(filter)
%TEST_REMOTE  Tests of the distributed part of the MATLAB/Octave binding: pyacq.Manager,
%   NodeGroup, Node and StreamProxy driving pyacq-nodegroup processes, and the JSON/ndarray
%   encoding of the values passed to them.
%
%   nfailed = test_remote()            runs every test
%   nfailed = test_remote('sos')       runs the tests whose name contains 'sos'
%
%   Prints "PASS name" / "FAIL name: reason" per test, then "test_remote: N passed, M failed".
%   Needs pyacq_mex on the path and $PYACQ_NODEGROUP_EXECUTABLE (or pyacq-nodegroup next to
%   libpyacq); tests/matlab/run.sh sets both. The encoding test uses python3 with numpy.
  if nargin < 1
    filter = '';
  end
  tests = {
    'remote: values to JSON (base64, C order, dtypes) and back', @t_encoding
    'remote: ndarrays between Octave and numpy (python3)', @t_encoding_numpy
    'remote: NumpyDeviceBuffer int32 tcp plaindata -> local InputStream', @() t_device('int32', 'plaindata')
    'remote: NumpyDeviceBuffer float64 sharedmem -> local InputStream', @() t_device('double', 'sharedmem')
    'remote: SosFilter in a second node group fed by the device', @t_sosfilter_chain
    'remote: local OutputStream -> remote SosFilter -> local InputStream', @t_local_to_remote
    'remote: README example', @t_readme_example
    'remote: generic proxy calls, attributes and results', @t_proxy_calls
    'remote: errors (node type, keyword, lifecycle, values, handles)', @t_errors
    'remote: a KeyError in a node group is pyacq:remote:KeyError with its traceback', @t_remote_exception
    'remote: a node group that does not answer (SIGSTOP) gives pyacq:timeout in time', @t_timeout
    'remote: destroyed handles give pyacq:handle, ids are never reused', @t_stale_handles
    'remote: the status table matches include/pyacq.h', @t_status_table
    'remote: addHost, node group on a pyacq-host process', @t_host
    'remote: close / delete / clear leave no pyacq-nodegroup process', @t_manager_lifecycle
    'remote: every remote command with garbage arguments', @t_fuzz_remote_commands
  };
  nfailed = run_suite('test_remote', tests, filter, @no_nodegroup_left);
end

function no_nodegroup_left()
  % every test closes its managers: no node group process may outlive it
  [pids, states] = nodegroup_children(5);
  check(isempty(pids), 'pyacq-nodegroup children left: %s (states %s)', mat2str(pids), states);
end

% ------------------------------------------------------------------------------------------
% helpers
% ------------------------------------------------------------------------------------------

function p = local_tcp(transfermode)
  p = struct('protocol', 'tcp', 'interface', '127.0.0.1', 'transfermode', transfermode);
  if strcmp(transfermode, 'sharedmem')
    p.buffer_size = 8192;
  end
end

function buf = device_buffer(cls, nsamp, nchan)
  % value = sample * 100 + channel (0-based), samples by channels
  buf = cast((0:nsamp - 1).' * 100 + (0:nchan - 1), cls);
end

function x = formula_array(cls, dims)
  % element (i1, ..., ik) = sum((ij - 1) * 10^(k - j)), as ndarray_peer.py computes it
  k = numel(dims);
  v = zeros(dims);
  subs = cell(1, k);
  [subs{:}] = ind2sub(dims, (1:prod(dims)).');
  for j = 1:k
    v(:) = v(:) + (subs{j} - 1) * 10^(k - j);
  end
  if strcmp(cls, 'logical')
    x = mod(v, 3) == 1;
  else
    x = cast(v, cls);
  end
end

function x = extremes(cls)
  switch cls
    case 'logical', x = [true false];
    case {'double', 'single'}
      x = cast([NaN, Inf, -Inf, -0, realmax(cls), -realmax(cls), realmin(cls)], cls);
    otherwise
      x = [intmin(cls), intmax(cls), intmax(cls) - 1, intmin(cls) + 1];
  end
end

function last = check_chunks(in, expected_fn, nchunks, chunk, nchan, cls, first_may_differ)
  % Receives NCHUNKS chunks and checks them element by element from the first one received:
  % consecutive indexes (no gap) and data == expected_fn(samples) (samples: 0-based column).
  % FIRST_MAY_DIFFER: the very first sample received may differ when the stream did not
  % start with it (a filter whose state began there).
  prev = [];
  for k = 1:nchunks
    [index, data] = recv_two(in, 10000);
    check(isa(data, cls) && isequal(size(data), [chunk nchan]), 'chunk %d: %s %s, expected %s [%d %d]', k, ...
          class(data), mat2str(size(data)), cls, chunk, nchan);
    if ~isempty(prev)
      check(index == prev + chunk, 'gap: chunk ending at %d after %d', index, prev);
    end
    s = (index - chunk:index - 1).';
    expected = expected_fn(s);
    if k == 1 && first_may_differ && s(1) > 0
      data = data(2:end, :);
      expected = expected(2:end, :);
    end
    check_equal(data, expected, sprintf('chunk [%d, %d)', s(1), index));
    prev = index;
  end
  last = prev;
end

function [index, data] = recv_two(in, timeout)
  [index, data] = in.recv(timeout);
end

% ------------------------------------------------------------------------------------------
% encoding of values (no process involved)
% ------------------------------------------------------------------------------------------

function t_encoding()
  % base64 (RFC 4648 vectors, the three padding cases) inside the ndarray marker map
  check(strcmp(pyacq.internal.encode(uint8([77 97 110])), ...
               '{"___type_name___": "ndarray", "dtype": "uint8", "shape": [1, 3], "data": "TWFu"}'), 'Man');
  j = pyacq.internal.encode(uint8([77 97]));
  check(~isempty(strfind(j, '"data": "TWE="')), 'Ma: %s', j);
  j = pyacq.internal.encode(uint8([77; 0]));
  check(~isempty(strfind(j, '"shape": [2, 1], "data": "TQA="')), 'M\\0: %s', j);
  j = pyacq.internal.encode(uint8('foobar'));
  check(~isempty(strfind(j, '"data": "Zm9vYmFy"')), 'foobar: %s', j);
  j = pyacq.internal.encode(zeros(0, 3, 'int16'));
  check(~isempty(strfind(j, '"dtype": "int16", "shape": [0, 3], "data": ""')), 'empty: %s', j);
  % C order: [1 2 3; 4 5 6] is sent row by row
  j = pyacq.internal.encode(int8([1 2 3; 4 5 6]));
  check(~isempty(strfind(j, '"shape": [2, 3], "data": "AQIDBAUG"')), 'C order: %s', j);
  % scalars, text, logicals, [] and containers
  v = struct('i', 16, 'f', 0.001, 'third', 1/3, 's', single(0.1), 'n', int64(-9007199254740993), ...
             'u', uint64(18446744073709551615), 't', 'a "quoted"\ttext', 'b', true, 'none', [], ...
             'empty', '', 'list', {{1, 'two', {}}}, 'nan', NaN, 'inf', -Inf, 'sub', struct('x', int8(-3)));
  j = pyacq.internal.encode(v);
  expected = ['{"i": 16, "f": 0.001, "third": 0.3333333333333333, "s": 0.1, "n": -9007199254740993, ' ...
              '"u": 18446744073709551615, "t": "a \"quoted\"\\ttext", "b": true, "none": null, "empty": "", ' ...
              '"list": [1, "two", []], "nan": NaN, "inf": -Infinity, "sub": {"x": -3}}'];
  check(strcmp(j, expected), 'to_json:\n%s\nexpected\n%s', j, expected);
  check(strcmp(pyacq.internal.encode(struct('a', {1, 2})), '[{"a": 1}, {"a": 2}]'), 'struct array');
  check(strcmp(pyacq.internal.encode(struct('pyacq_raw_json__', '{"k": [1, 2]}')), '{"k": [1, 2]}'), 'raw JSON');
  % every class and a 3-D array back through the decoder (1-D ndarrays come back as columns)
  classes = {'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical'};
  for c = 1:numel(classes)
    for dims = {[2 3], [2 3 4], [1 5], [5 1], [0 3]}
      x = formula_array(classes{c}, dims{1});
      check_equal(pyacq.internal.fromRemote(pyacq.internal.encode(x)), x, sprintf('%s %s', classes{c}, mat2str(dims{1})));
    end
    x = extremes(classes{c});
    check_equal(pyacq.internal.fromRemote(pyacq.internal.encode(x)), x, sprintf('%s extremes', classes{c}));
  end
  y = pyacq.internal.fromRemote('{"a": {"___type_name___": "ndarray", "dtype": "<f4", "shape": [3], "data": "AACAPwAAAEAAAEBA"}, "b": [1, 2]}');
  check_equal(y.a, single([1; 2; 3]), '1-D float32 ndarray');
  check_equal(y.b, [1; 2], 'plain list');
  check_equal(pyacq.internal.fromRemote('{"___type_name___": "bytes", "data": "TWE="}'), uint8([77; 97]), 'bytes');
  check_equal(pyacq.internal.fromRemote('{"___type_name___": "ndarray", "dtype": "int16", "shape": [], "data": "BwA="}'), ...
              int16(7), '0-d ndarray');
  % values that cannot be sent, invalid ndarray data
  expect_error(@() pyacq.internal.encode(1 + 2i), 'pyacq:dtype');
  expect_error(@() pyacq.internal.encode(struct('f', @sin)), 'pyacq:argument', 'value\.f');
  expect_error(@() pyacq.internal.encode(['ab'; 'cd']), 'pyacq:argument');
  expect_error(@() pyacq.internal.encode(sparse([1 0; 0 1])), 'pyacq:argument');
  expect_error(@() pyacq.internal.encode(struct('pyacq_raw_json__', '{"k": ')), 'pyacq:params');
  expect_error(@() pyacq.internal.decodeNdarray('AAA*', 'uint8', 3), 'pyacq:malformed');
  expect_error(@() pyacq.internal.decodeNdarray('AAAA', 'float32', [2 2]), 'pyacq:malformed', 'expected 16');
  expect_error(@() pyacq.internal.decodeNdarray('AAAA', 'complex64', 1), 'pyacq:dtype');
  expect_error(@() pyacq.internal.decodeNdarray('AAAA', 'nonsense', 1), 'pyacq:dtype');
  check_equal(pyacq.internal.decodeNdarray('AQID', '|u1', 3), uint8([1; 2; 3]), 'numpy dtype string');
end

function t_encoding_numpy()
  python = getenv('PYTHON');
  if isempty(python)
    python = 'python3';
  end
  script = fullfile(fileparts(mfilename('fullpath')), 'ndarray_peer.py');
  classes = {'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical'};
  shapes = {'m23', [2 3]; 'm234', [2 3 4]; 'row', [1 5]; 'col', [5 1]; 'empty', [0 3]};
  % Octave -> numpy
  s = struct();
  for c = 1:numel(classes)
    d = numpy_dtype(classes{c});
    for k = 1:size(shapes, 1)
      s.([shapes{k, 1} '_' d]) = formula_array(classes{c}, shapes{k, 2});
    end
    s.(['extremes_' d]) = extremes(classes{c});
  end
  file = [tempname() '.json'];
  fid = fopen(file, 'w');
  fwrite(fid, pyacq.internal.encode(s));
  fclose(fid);
  [status, out] = system(sprintf('%s %s check %s 2>&1', python, script, file));
  delete(file);
  check(status == 0 && strncmp(out, 'OK', 2), 'numpy decoding of Octave''s ndarrays: %s', out);
  % numpy -> Octave
  [status, out] = system(sprintf('%s %s make 2>&1', python, script));
  check(status == 0, 'ndarray_peer make: %s', out);
  got = pyacq.internal.fromRemote(strtrim(out));
  for c = 1:numel(classes)
    d = numpy_dtype(classes{c});
    for k = 1:size(shapes, 1)
      name = [shapes{k, 1} '_' d];
      check_equal(got.(name), formula_array(classes{c}, shapes{k, 2}), name);
    end
    check_equal(got.(['extremes_' d]), extremes(classes{c}), ['extremes_' d]);
  end
end

% ------------------------------------------------------------------------------------------
% graphs of nodes
% ------------------------------------------------------------------------------------------

function t_device(cls, transfermode)
  L = 256;
  chunk = 64;
  nchan = 3;
  buf = device_buffer(cls, L, nchan);
  man = pyacq.Manager('local');
  ng = man.createNodeGroup('devices');
  dev = ng.createNode('NumpyDeviceBuffer', 'dev');
  dev.configure('nb_channel', nchan, 'sample_interval', 1e-4, 'chunksize', chunk, 'buffer', buf);
  out = dev.output();
  out.configure(local_tcp(transfermode));
  dev.initialize();
  p = out.params();
  check(strcmp(p.dtype, numpy_dtype(cls)) && isequal(p.shape(:).', [-1 nchan]) && strcmp(p.transfermode, transfermode), ...
        'output params: %s', out.paramsJson());
  in = pyacq.InputStream();
  in.connect(out);
  check(strcmp(in.params().transfermode, transfermode), 'input params');
  dev.start();
  check(dev.running(), 'running after start');
  check_chunks(in, @(s) buf(mod(s, L) + 1, :), 12, chunk, nchan, cls, false);
  dev.stop();
  check(~dev.running(), 'stopped');
  dev.close();
  in.close();
  man.close();
end

function t_sosfilter_chain()
  L = 256;
  chunk = 64;
  nchan = 2;
  buf = device_buffer('double', L, nchan);
  man = pyacq.Manager('local');
  devices = man.createNodeGroup('devices');
  filters = man.createNodeGroup('filters');
  dev = devices.createNode('NumpyDeviceBuffer', 'dev');
  dev.configure(struct('nb_channel', nchan, 'sample_interval', 1e-4, 'chunksize', chunk, 'buffer', buf));
  dev.output().configure(local_tcp('plaindata'));
  filt = filters.createNode('SosFilter', 'filt');
  % two sections (rows of an n_sections x 6 matrix): y = 2 * (0.5 x[n] + 0.25 x[n-1])
  filt.configure('coefficients', [0.5 0.25 0 1 0 0; 2 0 0 1 0 0]);
  filt.input().connect(dev.output());        % remote input <- remote output
  filt.output().configure(local_tcp('plaindata'));
  dev.initialize();
  filt.initialize();
  p = filt.output().params();
  check(strcmp(p.dtype, 'float64') && isequal(p.shape(:).', [-1 nchan]), 'filter output params %s', filt.output().paramsJson());
  in = pyacq.InputStream();
  in.connect(filt.output());
  man.startAllNodes();
  check(dev.running() && filt.running(), 'startAllNodes started both nodes');
  x = @(s) (s >= 0) .* (mod(s, L) * 100 + (0:nchan - 1));
  check_chunks(in, @(s) x(s) + 0.5 * x(s - 1), 10, chunk, nchan, 'double', true);
  man.stopAllNodes();
  check(~dev.running() && ~filt.running(), 'stopAllNodes stopped both nodes');
  in.close();
  man.close();
end

function t_local_to_remote()
  nchan = 2;
  chunk = 32;
  nchunks = 40;
  sos = [1 -0.5 0 1 -0.25 0];               % one section: a 1 x 6 row is shape (1, 6)
  x = ((0:nchunks * chunk - 1).' * 10 + (1:nchan)) .* (-1).^(0:nchunks * chunk - 1).';
  expected = filter(sos(1:3), sos(4:6), x);
  man = pyacq.Manager('local');
  ng = man.createNodeGroup();
  filt = ng.createNode('SosFilter');
  filt.configure('coefficients', sos, 'engine', 'scipy');
  src = pyacq.OutputStream();
  src.configure(struct('protocol', 'tcp', 'interface', '127.0.0.1', 'port', '*', 'dtype', 'float64', ...
                       'shape', [-1 nchan], 'sample_rate', 1000));
  filt.input().connect(src);                 % remote input <- an OutputStream of Octave
  filt.output().configure(local_tcp('plaindata'));
  filt.initialize();
  in = pyacq.InputStream();
  in.connect(filt.output());
  filt.start();
  src.waitForSubscribers(1, 10000);          % the filter sees every sample from index 0
  % our own subscription to the filter output may join late: send until something arrives
  sent = 0;
  got = [];
  while sent < nchunks && isempty(got)
    src.send(x(sent * chunk + 1:(sent + 1) * chunk, :));
    sent = sent + 1;
    if in.poll(50)
      [index, data] = recv_two(in, 1000);
      got = {index, data};
    end
  end
  check(~isempty(got), 'nothing came back from the filter after %d chunks', sent);
  while sent < nchunks
    src.send(x(sent * chunk + 1:(sent + 1) * chunk, :));
    sent = sent + 1;
  end
  index = got{1};
  data = got{2};
  first = index - chunk;
  while true
    rows = index - chunk + 1:index;
    check(max(max(abs(data - expected(rows, :)))) <= 1e-9 * max(abs(expected(:))), ...
          'filter output [%d, %d) differs from Octave''s filter()', rows(1) - 1, index);
    if index >= nchunks * chunk
      break;
    end
    prev = index;
    [index, data] = recv_two(in, 10000);
    check(index == prev + chunk, 'gap after %d', prev);
  end
  check(first < nchunks * chunk, 'received from %d', first);
  filt.stop();
  in.close();
  src.close();
  man.close();
end

function t_readme_example()
  % bindings/matlab/README.md, "Remote nodes" (PYACQ_NODEGROUP_EXECUTABLE is set by run.sh)
  man = pyacq.Manager('local');
  ng = man.createNodeGroup('devices');
  dev = ng.createNode('NumpyDeviceBuffer', 'dev');
  x = single(randn(1024, 16));
  dev.configure('nb_channel', 16, 'sample_interval', 0.001, 'chunksize', 256, 'buffer', x);
  dev.output().configure('protocol', 'tcp', 'interface', '127.0.0.1', 'transfermode', 'plaindata');
  filters = man.createNodeGroup('filters');
  filt = filters.createNode('SosFilter');
  sos = [0.0675 0.1349 0.0675 1 -1.1430 0.4128];
  filt.configure('coefficients', sos);
  filt.input().connect(dev.output());
  filt.output().configure('protocol', 'tcp', 'interface', '127.0.0.1', 'transfermode', 'plaindata');
  dev.initialize(); filt.initialize();
  in = pyacq.InputStream();
  in.connect(filt.output());
  man.startAllNodes();
  [index, data] = in.recv(5000);
  man.stopAllNodes();
  man.close();
  check(mod(index, 256) == 0 && isa(data, 'single') && isequal(size(data), [256 16]), 'recv %d %s', index, class(data));
end

function t_proxy_calls()
  man = pyacq.Manager('local');
  ng = man.createNodeGroup('generic');
  check(isa(ng, 'pyacq.NodeGroup') && isa(ng, 'pyacq.Proxy'), 'NodeGroup is a Proxy');
  check(all(ismember({'NumpyDeviceBuffer', 'SosFilter', 'RawRecorder'}, ng.nodeTypes())), 'node types of the group');
  check(isequal(sort(ng.nodeTypes()), sort(pyacq.nodeTypes())), 'same types as pyacq.nodeTypes()');
  pid = ng.pid();
  check(isnumeric(pid) && any(nodegroup_children() == pid), 'pid %d is a child process', pid);
  dev = ng.createNode('NumpyDeviceBuffer', 'dev');
  check(strcmp(dev.attr('name').value(), 'dev'), 'attr/value');
  check(~dev.call('configured'), 'not configured yet');
  dev.callKw('configure', {}, struct('nb_channel', 2, 'chunksize', 8, 'buffer', int16(ones(16, 2))));
  check(dev.call('configured'), 'configured through callKw');
  check(isequal(dev.outputNames(), {'signals'}) && isempty(dev.inputNames()), 'stream names');
  out = dev.output('signals');
  check(isa(out, 'pyacq.StreamProxy'), 'output(name)');
  out.configure('{"protocol": "inproc"}');   % JSON text works too
  check(strcmp(out.params().protocol, 'inproc') && strcmp(out.params().dtype, 'int16'), 'params %s', out.paramsJson());
  % results: proxies come back as typed objects
  nodes = ng.listNodes();
  check(numel(nodes) == 1 && isa(nodes{1}, 'pyacq.Node'), 'listNodes');
  check(strcmp(nodes{1}.attr('name').value(), 'dev'), 'listed node');
  group = man.proxy().call('list_nodegroups');   % (jsondecode: a list of one object is that object)
  check(isa(group, 'pyacq.NodeGroup') && group.pid() == pid, 'manager proxy call');
  ng2 = man.createNodeGroup();
  groups = man.proxy().call('list_nodegroups');
  check(iscell(groups) && numel(groups) == 2 && isa(groups{2}, 'pyacq.NodeGroup') && groups{2}.pid() == ng2.pid(), ...
        'list of two node groups');
  g = man.listNodeGroups();
  check(numel(g) == 2 && isa(g{1}, 'pyacq.NodeGroup') && g{1}.pid() == pid, 'listNodeGroups');
  % proxies as arguments (add_node of a node already there is a no-op), release
  ng.call('add_node', nodes{1});
  ng.callKw('add_node', {}, struct('node', dev), 5000);
  check(numel(ng.listNodes()) == 1, 'add_node with proxies');
  nodes{1}.release();
  % a proxy rebuilt from its marker map designates the same object
  again = pyacq.Node(dev.json());
  check(strcmp(again.attr('name').value(), 'dev'), 'proxy from JSON');
  check(~again.running(), 'not running');
  clear again nodes group groups g out dev ng ng2;
  man.close();
end

function t_errors()
  man = pyacq.Manager('local');
  ng = man.createNodeGroup('errors');
  err = expect_error(@() ng.createNode('NoSuchNodeType'), 'pyacq:remote:KeyError', 'NoSuchNodeType');
  check(~isempty(strfind(err.message, 'KeyError')), 'remote exception type in the message: %s', err.message);
  dev = ng.createNode('NumpyDeviceBuffer');
  expect_error(@() dev.configure('nb_channel', 2, 'no_such_keyword', 1), 'pyacq:remote:TypeError', 'no_such_keyword');
  expect_error(@() dev.start(), 'pyacq:remote:RuntimeError', 'initialize');
  expect_error(@() dev.initialize(), 'pyacq:remote:RuntimeError', 'configure');
  % a buffer of the wrong shape: channels by samples instead of samples by channels
  expect_error(@() dev.configure('nb_channel', 2, 'chunksize', 8, 'buffer', zeros(2, 16)), 'pyacq:remote:ValueError', 'buffer');
  expect_error(@() dev.configure('buffer', 1 + 2i), 'pyacq:dtype');
  expect_error(@() dev.configure('nb_channel', @sin), 'pyacq:argument');
  expect_error(@() dev.configure('nb_channel'), 'pyacq:argument');
  expect_error(@() dev.output('nope'), 'pyacq:remote:KeyError', 'nope');
  expect_error(@() dev.call('no_such_method'), 'pyacq:remote:AttributeError', 'no_such_method');
  dev.configure('nb_channel', 2, 'chunksize', 8, 'buffer', zeros(16, 2));
  expect_error(@() dev.start(), 'pyacq:remote:RuntimeError', 'initialize');
  expect_error(@() dev.initialize(), 'pyacq:remote:RuntimeError', 'not configured');   % its output is not
  in = pyacq.InputStream();
  expect_error(@() in.connect(dev.output()), {'pyacq:io', 'pyacq:state', 'pyacq:params'});
  dev.output().configure(local_tcp('plaindata'));
  dev.initialize();
  dev.start();
  expect_error(@() dev.configure('nb_channel', 2), 'pyacq:remote:RuntimeError');   % not while running
  dev.stop();
  % a SosFilter without coefficients, an input connected to something that is not a stream
  filt = ng.createNode('SosFilter');
  expect_error(@() filt.configure(), 'pyacq:remote:ValueError', 'coefficients');
  expect_error(@() in.connect(dev), 'pyacq:argument');
  expect_error(@() pyacq_mex('input_connect_proxy', in.Handle, dev.Handle), 'pyacq:params');   % a node, not a stream
  expect_error(@() pyacq.Manager('nowhere'), 'pyacq:argument');
  expect_error(@() pyacq_mex('manager_create', 'nowhere'), 'pyacq:argument');
  % handles: wrong kinds, destroyed ones
  expect_error(@() pyacq_mex('node_start', man.Handle), 'pyacq:handle', 'is a manager, not a node');
  expect_error(@() pyacq_mex('node_start', ng.Handle), 'pyacq:handle', 'is a node group, not a node');
  expect_error(@() pyacq_mex('nodegroup_create_node', dev.Handle, 'SosFilter'), 'pyacq:handle', 'not a node group');
  expect_error(@() pyacq_mex('manager_start_all_nodes', ng.Handle), 'pyacq:handle', 'not a manager');
  expect_error(@() pyacq_mex('input_connect_stream', in.Handle, dev.Handle), 'pyacq:handle', 'not a node stream');
  expect_error(@() pyacq_mex('input_connect_proxy', dev.Handle, dev.Handle), 'pyacq:handle');
  expect_error(@() pyacq_mex('input_connect_proxy', in.Handle, in.Handle), 'pyacq:handle');
  out = dev.output();
  expect_error(@() pyacq_mex('stream_connect', out.Handle, 42), 'pyacq:argument');
  expect_error(@() pyacq_mex('stream_connect', dev.Handle, out.Handle), 'pyacq:handle');
  h = pyacq_mex('node_output', dev.Handle);
  pyacq_mex('stream_destroy', h);
  expect_error(@() pyacq_mex('stream_configure', h, '{}'), 'pyacq:handle', 'destroyed');
  expect_error(@() pyacq_mex('stream_destroy', h), 'pyacq:handle');
  pyacq_mex('proxy_destroy', uint64(0));    % 0 and [] are no-ops, like NULL
  pyacq_mex('manager_destroy', []);
  expect_error(@() pyacq_mex('proxy_call', dev.Handle, 'configure', 'not json'), 'pyacq:params');
  expect_error(@() pyacq_mex('proxy_call', dev.Handle, 'configure', 5), 'pyacq:argument');
  expect_error(@() pyacq_mex('nodegroup_create_node', ng.Handle), 'pyacq:argument');
  expect_error(@() dev.start('Timeout', 'soon'), 'pyacq:argument');
  expect_error(@() ng.createNode('SosFilter', 'a', 'b'), 'pyacq:argument', 'usage');
  expect_error(@() dev.output('signals', 'x'), 'pyacq:argument', 'usage');
  expect_error(@() man.createNodeGroup('a', [], [], 'x'), 'pyacq:argument', 'usage');
  expect_error(@() setfield(dev, 'Timeout', 'long'), 'pyacq:argument');
  expect_error(@() pyacq_mex('node_stop', dev.Handle, -5), 'pyacq:argument');
  stale = man.Handle;
  delete(man);
  expect_error(@() pyacq_mex('manager_close', stale), 'pyacq:handle');
  expect_error(@() man.createNodeGroup(), 'pyacq:state');
end

function t_remote_exception()
  % a KeyError raised in the node group: identifier, message, type and traceback
  man = pyacq.Manager('local');
  ng = man.createNodeGroup('exceptions');
  err = expect_error(@() ng.createNode('NoSuchNodeType'), 'pyacq:remote:KeyError', 'NoSuchNodeType');
  info = pyacq_mex('last_error');
  check(strcmp(info.identifier, 'pyacq:remote:KeyError') && strcmp(info.type, 'KeyError'), ...
        'last_error identifier %s type %s', info.identifier, info.type);
  check(info.status == -12 && strcmp(info.status_name, 'PYACQ_ERR_REMOTE'), 'status %d %s', info.status, info.status_name);
  check(~isempty(strfind(info.message, 'NoSuchNodeType')), 'message %s', info.message);
  check(~isempty(info.traceback), 'no remote traceback');
  check(~isempty(strfind(err.message, sprintf('\nRemote traceback:\n%s', strtrim(info.traceback)))), ...
        'the traceback follows the message: %s', err.message);
  check(~isempty(strfind(info.traceback, 'KeyError')), 'traceback: %s', info.traceback);
  % the same through a generic proxy call, and a KeyError of a node (unknown output)
  expect_error(@() ng.call('create_node', 'NoSuchNodeType'), 'pyacq:remote:KeyError', 'NoSuchNodeType');
  dev = ng.createNode('NumpyDeviceBuffer');
  expect_error(@() dev.output('nope'), 'pyacq:remote:KeyError', 'nope');
  % local failures have no traceback and the identifier of their status
  expect_error(@() pyacq_mex('dtype_normalize', 'nonsense'), 'pyacq:dtype');
  info = pyacq_mex('last_error');
  check(info.status == -3 && isempty(info.traceback), 'local error: status %d, traceback "%s"', info.status, info.traceback);
  % the node group keeps working
  check(~dev.running(), 'node usable after the errors');
  clear dev ng;
  man.close();
end

function t_timeout()
  % a node group that does not answer (its process stopped): every waiting call gives up
  % with pyacq:timeout after about the timeout given, then works again once it answers
  man = pyacq.Manager('local', 'Timeout', 20000);
  ng = man.createNodeGroup('stopped');
  dev = ng.createNode('NumpyDeviceBuffer');
  check(man.Timeout == 20000 && ng.Timeout == 20000 && dev.Timeout == 20000 && dev.output().Timeout == 20000, ...
        'the Timeout is inherited from the manager');
  pid = ng.pid();
  check(system(sprintf('kill -STOP %d', pid)) == 0, 'kill -STOP %d', pid);
  resume = onCleanup(@() system(sprintf('kill -CONT %d', pid)));
  calls = {
    'node start', @() dev.start('Timeout', 500)
    'node configure', @() dev.configure('nb_channel', 2, 'Timeout', 500)
    'node output', @() dev.output('signals', 'Timeout', 500)
    'create node', @() ng.createNode('SosFilter', 'Timeout', 500)
    'proxy call', @() dev.callKw('configured', {}, [], 500)
    'proxy value', @() dev.attr('name').value(500)
    'manager start all', @() man.startAllNodes('Timeout', 500)
  };
  for k = 1:size(calls, 1)
    t0 = tic;
    expect_error(calls{k, 2}, 'pyacq:timeout');
    elapsed = toc(t0);
    check(elapsed >= 0.45 && elapsed < 2.5, '%s: timed out after %.2f s, timeout 0.5 s', calls{k, 1}, elapsed);
  end
  % the Timeout property is the default of every call of the object
  dev.Timeout = 300;
  t0 = tic;
  expect_error(@() dev.running(), 'pyacq:timeout');
  check(toc(t0) < 2.5, 'Timeout property: %.2f s', toc(t0));
  system(sprintf('kill -CONT %d', pid));
  clear resume;
  % answers again; the late replies to the calls above are not taken for new ones
  dev.Timeout = 10000;
  check(strcmp(dev.attr('name').value(), dev.attr('name').value()), 'node answers after CONT');
  check(~dev.running(), 'the queued start of an unconfigured node did not start it');
  dev.configure('nb_channel', 2, 'chunksize', 8, 'buffer', zeros(16, 2));
  check(dev.call('configured'), 'configure after CONT');
  clear dev ng;
  man.close();
end

function t_stale_handles()
  % destroyed handles of every graph kind are refused, never reused
  man = pyacq.Manager('local');
  ng = man.createNodeGroup('stale');
  node = pyacq_mex('nodegroup_create_node', ng.Handle, 'SosFilter');
  stream = pyacq_mex('node_input', node);
  output = pyacq_mex('node_output', node);
  pyacq_mex('stream_destroy', output);
  pyacq_mex('node_destroy', node);
  pyacq_mex('stream_destroy', stream);
  expect_error(@() pyacq_mex('node_start', node), 'pyacq:handle', 'destroyed');
  expect_error(@() pyacq_mex('node_configure', node, '{}'), 'pyacq:handle', 'destroyed');
  expect_error(@() pyacq_mex('proxy_call', node, 'configure'), 'pyacq:handle', 'destroyed');
  expect_error(@() pyacq_mex('stream_params', stream), 'pyacq:handle', 'destroyed');
  expect_error(@() pyacq_mex('node_destroy', node), 'pyacq:handle');
  again = pyacq_mex('nodegroup_create_node', ng.Handle, 'SosFilter');
  check(again ~= node && again ~= stream && again ~= output, 'handle id %d reused', again);
  expect_error(@() pyacq_mex('node_start', node), 'pyacq:handle', 'destroyed');
  pyacq_mex('node_destroy', again);
  % a node group handle rebuilt from its proxy map designates the same process
  copy = pyacq.NodeGroup(ng.json(), man);
  check(copy.pid() == ng.pid(), 'node group from its proxy map');
  g = ng.Handle;
  delete(copy);
  check(ng.pid() > 0, 'deleting a copy leaves the original');
  delete(ng);
  expect_error(@() pyacq_mex('nodegroup_create_node', g, 'SosFilter'), 'pyacq:handle', 'destroyed');
  man.close();
end

function t_status_table()
  % the gateway's status table matches include/pyacq.h, one identifier per status
  header = fileread(fullfile(fileparts(fileparts(fileparts(mfilename('fullpath')))), 'include', 'pyacq.h'));
  tokens = regexp(header, '(PYACQ_(?:OK|ERR_\w+))\s*=\s*(-?\d+)', 'tokens');
  table = pyacq_mex('status_table');
  check(numel(table) == numel(tokens), '%d statuses in the gateway, %d in pyacq.h', numel(table), numel(tokens));
  for k = 1:numel(tokens)
    row = table(strcmp({table.name}, tokens{k}{1}));
    check(numel(row) == 1 && row.code == str2double(tokens{k}{2}), '%s = %s missing or different', tokens{k}{1}, tokens{k}{2});
  end
  ids = {table.identifier};
  ids = ids(~strcmp({table.name}, 'PYACQ_OK'));
  check(numel(unique(ids)) == numel(ids) && all(strncmp(ids, 'pyacq:', 6)), 'identifiers %s', strjoin(ids, ' '));
end

function t_host()
  exe = getenv('PYACQ_NODEGROUP_EXECUTABLE');
  host_exe = fullfile(fileparts(exe), 'pyacq-host');
  check(exist(host_exe, 'file') == 2, '%s missing (make lib)', host_exe);
  tmp = tempname();
  mkdir(tmp);
  out = fullfile(tmp, 'host.out');
  pidfile = fullfile(tmp, 'pid');
  % a Host process of our own (bounded: timeout ends it in any case), killed by its pid below
  system(sprintf('sh -c ''echo $$ > %s; exec timeout 120 %s "tcp://127.0.0.1:*" > %s 2>&1'' &', pidfile, host_exe, out));
  address = '';
  t0 = tic;
  while isempty(address) && toc(t0) < 10
    if exist(out, 'file')
      address = regexp(fileread(out), 'Running server at: (tcp://\S+)', 'tokens', 'once');
    end
    if isempty(address)
      pause(0.02);
    else
      address = address{1};
    end
  end
  host_pid = str2double(fileread(pidfile));
  cleanup = onCleanup(@() system(sprintf('kill %d 2>/dev/null', host_pid)));
  check(~isempty(address), 'pyacq-host did not print its address: %s', fileread(out));
  man = pyacq.Manager('local');
  host = man.addHost(address);
  check(isa(host, 'pyacq.Proxy') && strcmp(jsondecode(host.json()).rpc_addr, address), 'host proxy %s', host.json());
  ng = man.createNodeGroup('on_host', host);          % a Host proxy or its address
  pid = ng.pid();
  check(~any(nodegroup_children() == pid), 'the node group is the host''s child, not ours');
  filt = ng.createNode('SosFilter');
  filt.configure('coefficients', [1 0 0 1 0 0]);
  check(filt.call('configured'), 'node on the host configured');
  ng2 = man.createNodeGroup('on_host_2', address);
  check(ng2.pid() ~= pid, 'second node group');
  man.close();
  t0 = tic;
  while exist(sprintf('/proc/%d', pid), 'dir') && toc(t0) < 5
    pause(0.02);
  end
  check(~exist(sprintf('/proc/%d', pid), 'dir'), 'node group %d on the host still alive after close', pid);
  clear filt ng ng2 host man cleanup;
  [~, ~] = system(sprintf('rm -rf %s', tmp));
end

function t_manager_lifecycle()
  check(isempty(nodegroup_children()), 'a node group process exists before the test');
  % close(): every node group process ends
  man = pyacq.Manager('local');
  a = man.createNodeGroup('a');
  b = man.createNodeGroup('b');
  pids = [a.pid(), b.pid()];
  kids = nodegroup_children();
  check(numel(kids) == 2 && all(ismember(pids, kids)), 'children %s, node groups %s', mat2str(kids), mat2str(pids));
  dev = a.createNode('NumpyDeviceBuffer');
  man.close();
  [left, states] = nodegroup_children(5);
  check(isempty(left), 'after close: %s left (states %s)', mat2str(left), states);
  man.close();                                % idempotent
  expect_error(@() man.createNodeGroup('c'), 'pyacq:state');
  expect_error(@() man.startAllNodes(), 'pyacq:state');
  expect_error(@() dev.configure('nb_channel', 2), {'pyacq:closed', 'pyacq:io', 'pyacq:timeout', 'pyacq:remote:*'});
  clear dev a b man;
  % delete(): closes too; the handle is stale afterwards
  man = pyacq.Manager('local');
  g = man.createNodeGroup();
  node = g.createNode('SosFilter');
  check(numel(nodegroup_children()) == 1, 'one node group');
  h = man.Handle;
  delete(man);
  [left, states] = nodegroup_children(5);
  check(isempty(left), 'after delete: %s left (states %s)', mat2str(left), states);
  expect_error(@() pyacq_mex('manager_stop_all_nodes', h), 'pyacq:handle');
  clear node g man;
  % clear: node groups and nodes keep their manager alive; the last reference closes it
  man = pyacq.Manager('local');
  g = man.createNodeGroup();
  node = g.createNode('SosFilter');
  clear man g;
  check(numel(nodegroup_children()) == 1, 'the node keeps its node group and manager alive');
  node.configure('coefficients', [1 0 0 1 0 0]);
  clear node;
  [left, states] = nodegroup_children(5);
  check(isempty(left), 'after clear: %s left (states %s)', mat2str(left), states);
  % 'rpc' mode: the manager in its own process
  % (its process is a pyacq-nodegroup child of Octave, the node groups are its children)
  man = pyacq.Manager('rpc');
  g = man.createNodeGroup();
  pid = g.pid();
  check(pid > 0 && ~any(nodegroup_children() == pid) && numel(nodegroup_children()) == 1, 'node group of an rpc manager');
  man.close();
  clear g man;
  [left, states] = nodegroup_children(5);
  check(isempty(left), 'rpc manager: %s left (states %s)', mat2str(left), states);
  t0 = tic;
  while exist(sprintf('/proc/%d', pid), 'dir') && toc(t0) < 5
    pause(0.02);
  end
  check(~exist(sprintf('/proc/%d', pid), 'dir'), 'node group %d of the rpc manager still alive', pid);
end

function t_fuzz_remote_commands()
  commands = {'manager_create', 'manager_proxy', 'manager_add_host', ...
              'manager_create_nodegroup', 'manager_list_nodegroups', 'manager_start_all_nodes', ...
              'manager_stop_all_nodes', 'manager_close', 'manager_destroy', 'list_node_types', 'host_destroy', ...
              'nodegroup_create_node', 'nodegroup_close', 'nodegroup_from_proxy', 'nodegroup_destroy', ...
              'node_configure', 'node_initialize', 'node_start', 'node_stop', 'node_close', 'node_output', ...
              'node_input', 'node_from_proxy', 'node_destroy', 'stream_configure', 'stream_connect', ...
              'stream_params', 'stream_from_proxy', 'stream_destroy', 'input_connect_stream', ...
              'input_connect_proxy', 'proxy_attr', 'proxy_call', 'proxy_get_value', 'proxy_delete', ...
              'proxy_to_json', 'proxy_from_json', 'proxy_destroy', 'last_error', 'status_table'};
  before = pyacq_mex('handles');
  m = pyacq_mex('manager_create', 'local');
  ng = pyacq_mex('manager_create_nodegroup', m, 'fuzz');
  ring = pyacq_mex('ringbuffer_create', '{"shape": [4, 1]}');
  garbage = {{}, {[]}, {''}, {'{'}, {uint64(0)}, {uint64(0), 'x'}, {{1}}, {struct('a', 1)}, ...
             {ring}, {ring, ring}, {ng, ring}, {ring, ng}, {ng, 'x'}, {ng, 'x', 'y', 'z'}, {ng, [], {}, struct()}, ...
             {ng, 'x', {1}, 'nope'}, {ng, 'x', {}, [], -5}, {m, 1}, {m, 'x', 5}, {m, [], [], '{'}, {ng, ng}, ...
             {single(NaN)}, {uint64([1 2])}, {1, 2, 3, 4, 5, 6}, {'AAAA', 'int8', [-1 2]}, {'AAAA', 5, 3}};
  n = 0;
  for c = 1:numel(commands)
    if any(strcmp(commands{c}, {'manager_close', 'manager_destroy', 'nodegroup_close', 'nodegroup_destroy', ...
                                'proxy_destroy', 'proxy_delete'}))
      sets = garbage(~cellfun(@(g) ~isempty(g) && (isequal(g{1}, m) || isequal(g{1}, ng)), garbage));
    else
      sets = garbage;
    end
    n = n + call_with_garbage(commands{c}, sets);
  end
  check(n > 0, 'no call failed');
  % the manager and node group survived the garbage
  node = pyacq_mex('nodegroup_create_node', ng, 'SosFilter');
  pyacq_mex('node_configure', node, pyacq.internal.encode(struct('coefficients', [1 0 0 1 0 0])));
  % release everything created here (successful garbage calls made managers and proxies):
  % the ring, the proxies, then the managers
  release_handles_since(before, true);
end
