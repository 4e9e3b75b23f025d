function nfailed = test_streams(filter)
%TEST_STREAMS  Tests of the MATLAB/Octave binding of libpyacq (streams and ring buffers).
%
%   nfailed = test_streams()          runs every test
%   nfailed = test_streams('python')  runs the tests whose name contains 'python'
%
%   Prints one line per test ("PASS name" / "FAIL name: reason"), then
%   "test_streams: N passed, M failed" (run.sh adds its own checks and the final summary). Needs pyacq_mex on the path (tests/matlab/run.sh builds
%   it) and, for the interop tests, python3 with numpy/pyzmq/msgpack/blosc (tests/python).
  if nargin < 1
    filter = '';
  end
  nfailed = run_suite('test_streams', all_tests(), filter);
end

function tests = all_tests()
  classes = {'double', 'single', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'logical'};
  orients = {'samples-by-channels', 'channels-by-samples'};
  tests = {
    'version and handle table', @t_version
  };
  for c = 1:numel(classes)
    for o = 1:numel(orients)
      tests(end + 1, :) = {sprintf('roundtrip %s %s', classes{c}, orients{o}), @() t_roundtrip(classes{c}, orients{o})};
    end
  end
  more = {
    'raw gateway roundtrip (C order, no classdef)', @t_raw_gateway
    'orientation: send samples-by-channels, receive channels-by-samples', @t_cross_orientation
    'multi-dimensional frames [-1 2 3]', @t_multidim_frames
    '1-D stream shape [-1]', @t_one_dim_stream
    'explicit and default stream indexes', @t_indexes
    'protocols inproc and ipc', @t_protocols
    'compression blosc-lz4 and blosc-blosclz', @t_compression
    'sharedmem Octave to Octave', @t_sharedmem
    'input setBuffer + getData', @t_input_buffer
    'ring buffer last N samples (double ring, wrap-around)', @() t_ringbuffer('double', true)
    'ring buffer last N samples (single ring, wrap-around)', @() t_ringbuffer('double', false)
    'ring buffer int16 and logical, both orientations', @t_ringbuffer_types
    'ring buffer multi-dimensional frames', @t_ringbuffer_frames
    'ring buffer fill of skipped samples', @t_ringbuffer_fill
    'python: Octave sends float32 (samples-by-channels) -> specpeer recv --check ramp', @() t_python_recv('single', 'samples-by-channels', '{}')
    'python: Octave sends int16 (channels-by-samples) -> specpeer recv --check ramp', @() t_python_recv('int16', 'channels-by-samples', '{}')
    'python: Octave sends float64 blosc-lz4 -> specpeer recv --check ramp', @() t_python_recv('double', 'samples-by-channels', '{"compression": "blosc-lz4"}')
    'python: Octave sends uint8 -> specpeer recv --check ramp', @() t_python_recv('uint8', 'samples-by-channels', '{}')
    'python: Octave sends int64 -> specpeer recv --check ramp', @() t_python_recv('int64', 'channels-by-samples', '{}')
    'python: Octave sends bool -> specpeer recv --check ramp', @() t_python_recv('logical', 'samples-by-channels', '{}')
    'python: Octave sends float32 sharedmem -> specpeer recv --check ramp', @() t_python_recv('single', 'samples-by-channels', '{"transfermode": "sharedmem", "buffer_size": 4096}')
    'python: specpeer send float32 layout c -> Octave', @() t_python_send('single', 'c', '{}')
    'python: specpeer send int16 layout f -> Octave', @() t_python_send('int16', 'f', '{}')
    'python: specpeer send float64 layout reversed -> Octave (channels-by-samples)', @() t_python_send('double', 'reversed', '{}')
    'python: specpeer send uint16 layout strided -> Octave', @() t_python_send('uint16', 'strided', '{}')
    'python: specpeer send int32 blosc-lz4 -> Octave', @() t_python_send('int32', 'c', '{"compression": "blosc-lz4"}')
    'python: specpeer send uint64 -> Octave', @() t_python_send('uint64', 'c', '{}')
    'python: specpeer send float32 sharedmem -> Octave', @() t_python_send('single', 'c', '{"transfermode": "sharedmem", "buffer_size": 4096}')
    'errors: gateway arguments', @t_errors_arguments
    'errors: stale, destroyed and mistyped handles', @t_errors_handles
    'errors: closed streams', @t_errors_closed
    'errors: bad params JSON', @t_errors_params
    'errors: wrong dtype and data type', @t_errors_dtype
    'errors: unsupported stream dtypes are refused before receiving', @t_errors_unsupported_dtype
    'errors: timeouts', @t_errors_timeouts
    'errors: ring buffer ranges', @t_errors_ranges
    'errors: every command with garbage arguments', @t_fuzz_commands
    'classdef options: specs, name/value params, dtype names', @t_class_options
    'README example', @t_readme_example
    'lifecycle: delete releases handles, buffer outlives its input', @t_lifecycle
    'mexLock: clear mex keeps the gateway and its handles', @t_mexlock
    'timestamps and clock offset', @t_timestamps
  };
  tests = [tests; more];
end

% ------------------------------------------------------------------------------------------
% basics and round trips
% ------------------------------------------------------------------------------------------

function t_version()
  [v, n, abi] = pyacq_mex('version');
  check(~isempty(regexp(v, '^\d+\.\d+\.\d+$', 'once')), 'version text "%s"', v);
  parts = sscanf(v, '%d.%d.%d');
  check(n == parts(1) * 10000 + parts(2) * 100 + parts(3), 'version number %d for %s', n, v);
  check(abi == 0, 'ABI %d', abi);
  check(strcmp(pyacq.version(), v), 'pyacq.version()');
  [ids, kinds] = pyacq_mex('handles');
  check(isa(ids, 'uint64') && iscell(kinds) && numel(ids) == numel(kinds), 'handles listing');
  [d, itemsize] = pyacq_mex('dtype_normalize', '<f4');
  check(strcmp(d, 'float32') && itemsize == 4, 'dtype_normalize <f4 -> %s %d', d, itemsize);
end

function t_roundtrip(cls, orient)
  nsamp = 20;
  nchan = 5;
  [out, in] = connected_pair(tcp_params(numpy_dtype(cls), [-1 nchan]), orient);
  x1 = sample_values(cls, [nsamp nchan]);
  x2 = flipud(x1);
  x3 = x1(1, :);
  if strcmp(orient, 'channels-by-samples')
    x1 = x1.';
    x2 = x2.';
    x3 = x3.';
  end
  out.send(x1);
  out.send(x2, 100);
  out.send(x3);
  [i1, y1] = in.recv(5000);
  [i2, y2] = in.recv(5000);
  [i3, y3] = in.recv(5000);
  check(i1 == 20 && i2 == 100 && i3 == 101, 'indexes %d %d %d', i1, i2, i3);
  check_equal(y1, x1, 'chunk 1');
  check_equal(y2, x2, 'chunk 2');
  check_equal(y3, x3, 'chunk 3 (one sample)');
  check(out.lastIndex() == 101, 'lastIndex');
  s = in.stats();
  check(s.chunks_received == 3 && s.samples_received == 41, 'stats %d chunks %d samples', s.chunks_received, ...
        s.samples_received);
end

function t_raw_gateway()
  o = pyacq_mex('output_create', '{"shape": [-1, 3]}');
  cleanup_o = onCleanup(@() pyacq_mex('output_destroy', o));
  pyacq_mex('output_configure', o, '{"protocol": "tcp", "interface": "127.0.0.1", "port": "*", "dtype": "int32", "shape": [-1, 3]}');
  params = pyacq_mex('output_params', o);
  i = pyacq_mex('input_create');
  cleanup_i = onCleanup(@() pyacq_mex('input_destroy', i));
  pyacq_mex('input_connect', i, params);
  pyacq_mex('output_wait_subscribers', o, 1, 10000);
  check(pyacq_mex('output_subscriber_count', o) == 1, 'one subscriber');
  x = int32(reshape(1:12, 3, 4));          % [nchan x nsamp]: the C-order chunk itself
  pyacq_mex('output_send', o, x, -1, 'channels-by-samples');
  check(pyacq_mex('input_poll', i, 5000), 'poll');
  [idx, y] = pyacq_mex('input_recv', i, 5000, 'channels-by-samples');
  check(idx == 4, 'index %d', idx);
  check_equal(y, x, 'C-order chunk');
  pyacq_mex('output_send', o, x.');       % default orientation, Fortran strides
  idx = pyacq_mex('input_recv', i, 5000); % index only
  check(idx == 8, 'index-only recv %d', idx);
  check(pyacq_mex('input_empty_queue', i) == 0, 'empty queue');
  pyacq_mex('output_reset_index', o);
  check(pyacq_mex('output_last_index', o) == 0, 'reset index');
  pyacq_mex('input_close', i);
  pyacq_mex('output_close', o);
  % the spec fixed the shape: configure may not change it
  expect_error(@() pyacq_mex('output_configure', o, '{"dtype": "int32", "shape": [-1, 4]}'), 'pyacq:params');
end

function t_cross_orientation()
  [out, in] = connected_pair(tcp_params('float64', [-1 4]));
  x = sample_values('double', [25 4]);
  out.send(x);
  in.Orientation = 'channels-by-samples';
  [~, y] = in.recv(5000);
  check_equal(y, x.', 'transposed chunk');
  out.Orientation = 'channels-by-samples';
  out.send(x.');
  in.Orientation = 'samples-by-channels';
  [~, y] = in.recv(5000);
  check_equal(y, x, 'chunk sent channels-by-samples');
end

function t_multidim_frames()
  [out, in] = connected_pair(tcp_params('int32', [-1 2 3]));
  x = sample_values('int32', [4 2 3]);
  out.send(x);
  [i1, y] = in.recv(5000);
  check(i1 == 4, 'index');
  check_equal(y, x, 'samples-by-channels [4 x 2 x 3]');
  out.send(x);
  in.Orientation = 'channels-by-samples';
  [~, y] = in.recv(5000);
  check_equal(y, permute(x, [2 3 1]), 'channels-by-samples [2 x 3 x 4]');
  out.Orientation = 'channels-by-samples';
  out.send(permute(x, [2 3 1]));
  in.Orientation = 'samples-by-channels';
  [~, y] = in.recv(5000);
  check_equal(y, x, 'sent channels-by-samples');
  % one sample: MATLAB drops trailing singleton dims, [2 x 3 x 1] is still one frame
  out.send(permute(x(1, :, :), [2 3 1]));
  [i4, y] = in.recv(5000);
  check(i4 == 13, 'index after a one-sample chunk: %d', i4);
  check_equal(y, x(1, :, :), 'one-sample chunk');
  expect_error(@() out.send(int32(ones(2, 3, 4, 5))), 'pyacq:argument');
end

function t_one_dim_stream()
  [out, in] = connected_pair(tcp_params('int16', -1));
  x = int16((1:7).');
  out.send(x);
  [~, y] = in.recv(5000);
  check_equal(y, x, 'column');
  expect_error(@() out.send(x.'), 'pyacq:argument', 'column');
  out.Orientation = 'channels-by-samples';
  in.Orientation = 'channels-by-samples';
  out.send(x.');
  [idx, y] = in.recv(5000);
  check(idx == 14, 'index %d', idx);
  check_equal(y, x.', 'row');
  expect_error(@() out.send(x), 'pyacq:argument', 'row');
end

function t_indexes()
  [out, in] = connected_pair(tcp_params('single', [-1 2]));
  x = single(ones(10, 2));
  out.send(x, 1000);
  out.send(x);
  out.send(x, int64(5000));
  out.send(x, []);
  idx = zeros(1, 4);
  for k = 1:4
    idx(k) = in.recv(5000);
  end
  check(isequal(idx, [1000 1010 5000 5010]), 'indexes %s', num2str(idx));
  big = int64(2)^60;
  out.send(x, big);
  [i5, ~] = in.recv(5000);
  check(i5 == double(big), 'index 2^60');
end

function t_protocols()
  for proto = {'inproc', 'ipc'}
    p = struct('protocol', proto{1}, 'dtype', 'uint16', 'shape', [-1 3]);
    [out, in] = connected_pair(p);
    x = sample_values('uint16', [8 3]);
    out.send(x);
    [idx, y] = in.recv(5000);
    check(idx == 8, '%s index', proto{1});
    check_equal(y, x, proto{1});
    clear out in;
  end
end

function t_compression()
  for comp = {'blosc-lz4', 'blosc-blosclz'}
    [out, in] = connected_pair(tcp_params('float32', [-1 8], 'compression', comp{1}));
    x = single(ramp_chunk(0, 64, 8, 'double'));
    out.send(x);
    [~, y] = in.recv(5000);
    check_equal(y, x, comp{1});
    check(strcmp(in.params().compression, comp{1}), 'input params compression');
    clear out in;
  end
end

function t_sharedmem()
  [out, in] = connected_pair(tcp_params('float32', [-1 4], 'transfermode', 'sharedmem', 'buffer_size', 1000));
  p = out.params();
  check(strcmp(p.transfermode, 'sharedmem') && isfield(p, 'shm_id') && ~isempty(p.shm_id), 'sharedmem params');
  xs = {};
  for k = 1:3
    xs{k} = single(ramp_chunk((k - 1) * 50, 50, 4, 'double')); %#ok<AGROW>
    out.send(xs{k});
  end
  for k = 1:3
    [idx, y] = in.recv(5000);
    check(idx == 50 * k, 'index %d', idx);
    check_equal(y, xs{k}, sprintf('chunk %d', k));
  end
  whole = cat(1, xs{:});
  check_equal(in.getData(150), whole, 'getData(150) from the shared ring');
  check_equal(in.getData(20, 70), whole(21:70, :), 'getData(20, 70)');
  in.Orientation = 'channels-by-samples';
  check_equal(in.getData(10), whole(141:150, :).', 'getData channels-by-samples');
  rb = in.buffer();
  check(rb.index() == 150, 'shared ring index %d', rb.index());
  check_equal(rb.getData(5), whole(146:150, :).', 'RingBuffer of the input keeps its orientation');
  out.send(xs{1}, 1000);
  check(in.recv(5000) == 1000, 'index-only recv (sharedmem)');
end

function t_input_buffer()
  [out, in] = connected_pair(tcp_params('int32', [-1 3]));
  expect_error(@() in.getData(1), 'pyacq:state');
  in.setBuffer(64);
  xs = {};
  for k = 1:5
    xs{k} = ramp_chunk((k - 1) * 20, 20, 3, 'int32'); %#ok<AGROW>
    out.send(xs{k});
  end
  for k = 1:5
    in.recv(5000);
  end
  whole = cat(1, xs{:});
  check_equal(in.getData(64), whole(37:100, :), 'last 64');
  check_equal(in.getData(50, 70), whole(51:70, :), '[50, 70)');
  check_equal(in.getData(0), zeros(0, 3, 'int32'), 'zero samples');
  expect_error(@() in.getData(30, 40), 'pyacq:index');
  expect_error(@() in.getData(65), 'pyacq:index');
  in.setBuffer(30, 'double', false);
  out.send(xs{1});
  out.send(xs{2});
  in.recv(5000);
  in.recv(5000);
  check_equal(in.getData(25), whole(16:40, :), 'single ring set by setBuffer options (crossing its end)');
  out.send(int32(ones(31, 3)));           % longer than the ring: refused by recv, not a crash
  expect_error(@() recv_two(in, 5000), {'pyacq:argument', 'pyacq:index', 'pyacq:buffer'});
end

function t_ringbuffer(~, isdouble)
  rb = pyacq.RingBuffer([100 4], 'float64', 'double', isdouble);
  info = rb.info();
  check(info.length == 100 && isequal(info.frame_shape, 4) && strcmp(info.dtype, 'float64') && ...
        info.double == isdouble, 'info');
  xs = {};
  for k = 1:7
    xs{k} = ramp_chunk((k - 1) * 30, 30, 4, 'double'); %#ok<AGROW>
    rb.newChunk(xs{k});
  end
  whole = cat(1, xs{:});
  check(rb.index() == 210 && rb.firstIndex() == 110, 'index %d first %d', rb.index(), rb.firstIndex());
  check_equal(rb.getData(100), whole(111:210, :), 'last 100 (crosses the ring end)');
  check_equal(rb.getData(10), whole(201:210, :), 'last 10');
  check_equal(rb.getData(150, 210), whole(151:210, :), '[150, 210)');
  check_equal(rb.getData(110, 111), whole(111, :), 'oldest sample');
  rb.Orientation = 'channels-by-samples';
  check_equal(rb.getData(100), whole(111:210, :).', 'channels-by-samples');
  rb.newChunk(whole(1:30, :).');
  check_equal(rb.getData(30), whole(1:30, :).', 'write channels-by-samples');
  rb.resetIndex();
  check(rb.index() == 0, 'reset');
end

function t_ringbuffer_types()
  for cls = {'int16', 'logical', 'uint64', 'single'}
    for orient = {'samples-by-channels', 'channels-by-samples'}
      rb = pyacq.RingBuffer([32 5], numpy_dtype(cls{1}), 'Orientation', orient{1});
      x = sample_values(cls{1}, [20 5]);
      if strcmp(orient{1}, 'channels-by-samples')
        x = x.';
      end
      rb.newChunk(x);
      rb.newChunk(x);
      got = rb.getData(20);
      check_equal(got, x, sprintf('%s %s', cls{1}, orient{1}));
      expect_error(@() rb.newChunk(zeros(2, 5)), 'pyacq:dtype');
    end
  end
end

function t_ringbuffer_frames()
  rb = pyacq.RingBuffer([10 2 3], 'uint8');
  x = sample_values('uint8', [6 2 3]);
  rb.newChunk(x);
  rb.newChunk(x);
  whole = cat(1, x, x);
  check_equal(rb.getData(10), whole(3:12, :, :), 'samples-by-channels');
  rb.Orientation = 'channels-by-samples';
  check_equal(rb.getData(4), permute(whole(9:12, :, :), [2 3 1]), 'channels-by-samples');
  info = rb.info();
  check(isequal(info.frame_shape, [2 3]), 'frame shape');
end

function t_ringbuffer_fill()
  rb = pyacq.RingBuffer([50 2], 'float32');
  x = single([1 2; 3 4]);
  rb.newChunk(x);
  rb.newChunk(x, 10);                      % samples 2..7 skipped
  got = rb.getData(10);
  check_equal(got([1 2 9 10], :), [x; x], 'written samples');
  skipped = got(3:8, :);
  check(all(isnan(skipped(:))), 'skipped float samples are NaN');
  ri = pyacq.RingBuffer([50 2], 'int16', 'fill', 7);
  ri.newChunk(int16(x), 5);
  got = ri.getData(5);
  check(all(all(got(1:3, :) == 7)), 'fill 7');
end

% ------------------------------------------------------------------------------------------
% interoperability with the Python spec peer
% ------------------------------------------------------------------------------------------

function t_python_recv(cls, orient, extra)
  nchan = 6;
  len = 32;
  nchunks = 8;
  out = pyacq.OutputStream('Orientation', orient);
  p = tcp_params(numpy_dtype(cls), [-1 nchan]);
  extra = jsondecode(extra);
  for f = fieldnames(extra).'
    p.(f{1}) = extra.(f{1});
  end
  out.configure(p);
  peer = specpeer_start(sprintf('recv --nchunks %d --check ramp --timeout-ms 15000', nchunks), out.paramsJson());
  ok = out.waitForSubscribers(1, 30000);
  if ~ok
    [~, ~, err] = specpeer_finish(peer);
    error('test:check', 'the spec peer never subscribed; stderr: %s', err);
  end
  for k = 0:nchunks - 1
    x = ramp_chunk(k * len, len, nchan, cls);
    if strcmp(orient, 'channels-by-samples')
      x = x.';
    end
    out.send(x);
  end
  [rc, lines, err] = specpeer_finish(peer);
  check(numel(lines) == nchunks + 2, 'expected %d lines from the peer, got %d; stderr: %s', nchunks + 2, ...
        numel(lines), err);
  for k = 1:nchunks
    s = jsondecode(lines{k + 1});
    check(s.index == k * len && isequal(s.shape(:).', [len nchan]) && s.ramp_ok, 'peer chunk %d: %s', k, lines{k + 1});
  end
  last = jsondecode(lines{end});
  check(rc == 0 && last.complete && last.ramp_ok && last.chunks == nchunks && last.index == nchunks * len, ...
        'peer summary %s (exit %d) %s', lines{end}, rc, err);
end

function t_python_send(cls, layout, params)
  nchan = 5;
  len = 16;
  nchunks = 10;
  args = sprintf('send --dtype %s --nchan %d --chunk %d --nchunks %d --start-index 7 --layout %s --wait-subscriber --timeout-ms 20000', ...
                 numpy_dtype(cls), nchan, len, nchunks, layout);
  peer = specpeer_start(args, params, true);
  lines = specpeer_lines(peer, 1, 30);
  if isempty(lines)
    [rc, ~, err] = specpeer_finish(peer);
    error('test:check', 'the spec peer printed no params (exit %d): %s', rc, err);
  end
  orient = 'samples-by-channels';
  if strcmp(layout, 'reversed')
    orient = 'channels-by-samples';
  end
  in = pyacq.InputStream('Orientation', orient);
  in.connect(lines{1});
  for k = 1:nchunks
    try
      [idx, y] = in.recv(10000);
    catch err
      [rc, lines, perr] = specpeer_finish(peer);
      error('test:check', 'chunk %d: %s; input stats %s; peer exit %d, output: %s %s', k, err.message, ...
            jsonencode(in.stats()), rc, strjoin(lines, ' | '), perr);
    end
    first = 7 + (k - 1) * len;
    check(idx == first + len, 'chunk %d index %d', k, idx);
    expected = ramp_chunk(first, len, nchan, cls);
    if strcmp(orient, 'channels-by-samples')
      expected = expected.';
    end
    check_equal(y, expected, sprintf('chunk %d', k));
  end
  [rc, lines, err] = specpeer_finish(peer);
  last = jsondecode(lines{end});
  check(rc == 0 && last.sent == nchunks && last.index == 7 + nchunks * len, 'peer summary %s (exit %d) %s', ...
        lines{end}, rc, err);
end

% ------------------------------------------------------------------------------------------
% errors
% ------------------------------------------------------------------------------------------

function t_errors_arguments()
  expect_error(@() pyacq_mex(), 'pyacq:argument');
  expect_error(@() pyacq_mex(42), 'pyacq:argument');
  expect_error(@() pyacq_mex({'version'}), 'pyacq:argument');
  expect_error(@() pyacq_mex('no_such_command'), 'pyacq:command', 'no_such_command');
  expect_error(@() pyacq_mex('version', 1), 'pyacq:argument', 'usage');
  o = pyacq.OutputStream();
  o.configure(tcp_params('float32', [-1 2]));
  h = o.Handle;
  expect_error(@() pyacq_mex('output_send', h), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_send', h, single([1 2]), 1.5), 'pyacq:argument', 'integer');
  expect_error(@() pyacq_mex('output_send', h, single([1 2]), NaN), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_send', h, single([1 2]), -5), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_send', h, single([1 2]), [1 2]), 'pyacq:argument', 'scalar');
  expect_error(@() pyacq_mex('output_send', h, single([1 2]), 'x'), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_send', h, single([1 2]), -1, 'sideways'), 'pyacq:argument', 'orientation');
  expect_error(@() pyacq_mex('output_send', h, single([1 2]), -1, 7), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_configure', h, 42), 'pyacq:argument', 'text');
  expect_error(@() pyacq_mex('output_configure', h, ['{' ; '}']), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_wait_subscribers', h, -1), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_wait_subscribers', h, 1, NaN), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_wait_subscribers', h, 1, -3), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_wait_subscribers', h, 1, 'soon'), 'pyacq:argument');
  expect_error(@() call_two_outputs('output_params', h), 'pyacq:argument', 'output');
  expect_error(@() pyacq.OutputStream('Orientation', 'diagonal'), 'pyacq:argument');
  expect_error(@() o.configure('dtype'), {'pyacq:params'});
  expect_error(@() o.configure('dtype', 'float32', 'shape'), 'pyacq:argument');
  expect_error(@() pyacq.RingBuffer('abc'), 'pyacq:argument');
end

function t_errors_handles()
  o = pyacq.OutputStream();
  i = pyacq.InputStream();
  r = pyacq.RingBuffer([10 1]);
  expect_error(@() pyacq_mex('output_params', double(o.Handle)), 'pyacq:argument', 'uint64');
  expect_error(@() pyacq_mex('output_params', int64(o.Handle)), 'pyacq:argument', 'uint64');
  expect_error(@() pyacq_mex('output_params', [o.Handle o.Handle]), 'pyacq:argument');
  expect_error(@() pyacq_mex('output_params', uint64(987654321)), 'pyacq:handle', 'invalid');
  expect_error(@() pyacq_mex('output_params', uint64(0)), 'pyacq:handle');
  expect_error(@() pyacq_mex('output_params', i.Handle), 'pyacq:handle', 'input stream, not an output');
  expect_error(@() pyacq_mex('input_recv', o.Handle, 0), 'pyacq:handle');
  expect_error(@() pyacq_mex('ringbuffer_get_data', i.Handle, 1), 'pyacq:handle');
  expect_error(@() pyacq_mex('output_destroy', r.Handle), 'pyacq:handle');
  % destroyed handles: the raw gateway and the objects
  h = o.Handle;
  delete(o);
  expect_error(@() pyacq_mex('output_configure', h, '{}'), 'pyacq:handle', 'already destroyed');
  expect_error(@() pyacq_mex('output_destroy', h), 'pyacq:handle');
  hi = i.Handle;
  hr = r.Handle;
  clear i r;
  expect_error(@() pyacq_mex('input_poll', hi), 'pyacq:handle');
  expect_error(@() pyacq_mex('ringbuffer_index', hr), 'pyacq:handle');
  % 0 and [] are no-ops for destroy (like NULL in C)
  pyacq_mex('output_destroy', uint64(0));
  pyacq_mex('input_destroy', []);
  pyacq_mex('ringbuffer_destroy', uint64(0));
end

function t_errors_closed()
  [out, in] = connected_pair(tcp_params('float32', [-1 2]));
  out.send(single([1 2]));
  in.close();
  expect_error(@() in.recv(10), {'pyacq:closed', 'pyacq:state'});
  expect_error(@() in.poll(10), {'pyacq:closed', 'pyacq:state'});
  out.close();
  expect_error(@() out.send(single([1 2])), {'pyacq:closed', 'pyacq:state'});
  expect_error(@() out.params(), {'pyacq:closed', 'pyacq:state'});
  % closing twice is harmless, and the handles stay valid until deleted
  try
    out.close();
    in.close();
  catch err
    check(any(strcmp(err.identifier, {'pyacq:closed', 'pyacq:state'})), 'second close: %s', err.identifier);
  end
  s = in.stats();
  check(s.chunks_received <= 1, 'stats after close');
end

function t_errors_params()
  o = pyacq.OutputStream();
  expect_error(@() o.configure('{not json'), 'pyacq:params', 'JSON');
  expect_error(@() o.configure('[1, 2, 3]'), 'pyacq:params');
  expect_error(@() o.configure(tcp_params('float32', 'abc')), 'pyacq:params', 'shape');
  expect_error(@() o.configure(tcp_params('float32', [-1 2], 'protocol', 'pigeon')), 'pyacq:params', 'protocol');
  expect_error(@() o.configure(tcp_params('float32', [-1 2], 'transfermode', 'telepathy')), 'pyacq:params');
  expect_error(@() o.configure(tcp_params('float32', [-1 2], 'port', 'x y z')), {'pyacq:params', 'pyacq:io'});
  expect_error(@() o.params(), 'pyacq:state');
  expect_error(@() pyacq.OutputStream('{"shape": 3'), 'pyacq:params');
  expect_error(@() pyacq.InputStream('[]'), 'pyacq:params');
  i = pyacq.InputStream();
  expect_error(@() i.connect('{}'), 'pyacq:params');
  expect_error(@() i.connect('{"protocol": "tcp"'), 'pyacq:params');
  expect_error(@() i.connect(42), 'pyacq:argument');
  expect_error(@() i.setBuffer(0), 'pyacq:params');
  expect_error(@() pyacq.RingBuffer([0 4]), 'pyacq:params');
  expect_error(@() pyacq_mex('ringbuffer_create', '{"dtype": "float32"}'), 'pyacq:params', 'shape');
  expect_error(@() pyacq_mex('ringbuffer_create', '{"shape": [4, 2], "double": "yes"}'), 'pyacq:params');
  % a stream still works after failed configure calls
  o.configure(tcp_params('int8', [-1 1]));
  check(strcmp(o.params().dtype, 'int8'), 'configure after errors');
end

function t_errors_dtype()
  [out, in] = connected_pair(tcp_params('float32', [-1 4]));
  expect_error(@() out.send(zeros(3, 4)), 'pyacq:dtype', 'float');
  expect_error(@() out.send(int16(zeros(3, 4))), 'pyacq:dtype');
  expect_error(@() out.send(true(3, 4)), 'pyacq:dtype');
  expect_error(@() out.send(single(complex(ones(3, 4), 1))), 'pyacq:dtype', 'complex');
  expect_error(@() out.send('abcd'), 'pyacq:argument', 'char');
  expect_error(@() out.send({1, 2, 3, 4}), 'pyacq:argument', 'cell');
  expect_error(@() out.send(struct('a', 1)), 'pyacq:argument');
  expect_error(@() out.send(sparse(ones(3, 4))), {'pyacq:argument', 'pyacq:dtype'});
  expect_error(@() out.send(@sin), 'pyacq:argument');
  expect_error(@() out.send(single(ones(3, 5))), 'pyacq:argument', 'shape');
  expect_error(@() out.configure(tcp_params('float128', [-1 4])), 'pyacq:dtype');
  % nothing bad was sent: the queue is empty, the stream still works
  check(~in.poll(50), 'no chunk after refused sends');
  out.configure(tcp_params('float32', [-1 4]));
  in2 = pyacq.InputStream();
  in2.connect(out);
  out.waitForSubscribers(1, 10000);
  out.send(single(ones(2, 4)));
  [~, y] = in2.recv(5000);
  check_equal(y, single(ones(2, 4)), 'after dtype errors');
end

function t_errors_unsupported_dtype()
  for dt = {'complex64', 'float16', '[["a", "<f4"], ["b", "<i2"]]', '|S4'}
    out = pyacq.OutputStream();
    if dt{1}(1) == '['
      out.configure(['{"protocol": "tcp", "interface": "127.0.0.1", "port": "*", "shape": [-1, 1], "dtype": ' dt{1} '}']);
    else
      out.configure(tcp_params(dt{1}, [-1 1]));
    end
    in = pyacq.InputStream();
    in.connect(out);
    expect_error(@() recv_two(in, 10), 'pyacq:dtype', 'MATLAB|structured');
    expect_error(@() recv_two(in, 10), 'pyacq:dtype');  % and again: nothing consumed, nothing broke
    expect_error(@() in.recv(10), 'pyacq:timeout');      % the index alone can always be read
    clear out in;
  end
end

function t_errors_timeouts()
  [out, in] = connected_pair(tcp_params('int8', [-1 1]));
  t0 = tic;
  expect_error(@() in.recv(100), 'pyacq:timeout');
  check(toc(t0) >= 0.09 && toc(t0) < 5, 'recv timeout took %.3f s', toc(t0));
  check(~in.poll(0) && ~in.poll(20), 'poll false');
  check(~out.waitForSubscribers(2, 50), 'waitForSubscribers(2) is false');
  expect_error(@() out.waitForSubscribers(2, 50), 'pyacq:timeout');
  expect_error(@() pyacq_mex('output_wait_subscribers', out.Handle, 2, 10), 'pyacq:timeout');
  out.send(int8(1));
  check(in.poll(5000), 'poll true');
  check(in.recv(0) == 1, 'recv(0) of a waiting chunk');
end

function t_errors_ranges()
  rb = pyacq.RingBuffer([10 2], 'int16');
  rb.newChunk(int16(ones(3, 2)));
  expect_error(@() rb.getData(11), 'pyacq:index');
  expect_error(@() rb.getData(-1), 'pyacq:argument');
  expect_error(@() rb.getData(1.5), 'pyacq:argument');
  expect_error(@() rb.getData(5, 3), 'pyacq:index');
  expect_error(@() rb.getData(0, 4), 'pyacq:index');
  expect_error(@() rb.getData(-20, 3), 'pyacq:index');
  expect_error(@() rb.getData(1e15), 'pyacq:index');
  expect_error(@() rb.getData(2^62), 'pyacq:argument');
  expect_error(@() rb.getData(Inf), 'pyacq:argument');
  expect_error(@() rb.getData(1, 2, 3), 'pyacq:argument');
  expect_error(@() rb.getData(), 'pyacq:argument');
  expect_error(@() rb.getData('x'), {'pyacq:argument'});
  expect_error(@() rb.newChunk(int16(ones(3, 2)), 1), {'pyacq:index', 'pyacq:argument'});
  check_equal(rb.getData(2), int16(ones(2, 2)), 'still readable');
end

function t_fuzz_commands()
  commands = {'version', 'handles', 'dtype_normalize', 'output_create', 'output_configure', 'output_params', ...
              'output_send', 'output_last_index', 'output_subscriber_count', 'output_wait_subscribers', ...
              'output_reset_index', 'output_close', 'output_destroy', 'input_create', 'input_connect', ...
              'input_params', 'input_poll', 'input_recv', 'input_empty_queue', 'input_set_buffer', ...
              'input_buffer', 'input_get_data', 'input_reset_buffer_index', 'input_stats', 'input_close', ...
              'input_destroy', 'ringbuffer_create', 'ringbuffer_new_chunk', 'ringbuffer_get_data', ...
              'ringbuffer_index', 'ringbuffer_info', 'ringbuffer_reset_index', 'ringbuffer_destroy'};
  r = pyacq.RingBuffer([4 1], 'int8');     % a live handle of the "wrong" kind for most commands
  garbage = {{}, {[]}, {''}, {'{'}, {uint64(0)}, {uint64(0), 'x'}, {{1}}, {struct('a', 1)}, ...
             {r.Handle}, {r.Handle, -1}, {r.Handle, int8([1 2])}, {r.Handle, 'x', 'y', 'z'}, ...
             {single(NaN)}, {uint64([1 2])}, {1, 2, 3, 4, 5, 6}};
  before = pyacq_mex('handles');
  n = 0;
  for c = 1:numel(commands)
    n = n + call_with_garbage(commands{c}, garbage);
  end
  check(n > 0, 'no call failed');
  release_handles_since(before, true);  % garbage calls of *_create may have succeeded
end

function t_class_options()
  in = pyacq.InputStream([], 'Orientation', 'channels-by-samples');
  check(strcmp(in.Orientation, 'channels-by-samples'), 'orientation option');
  out = pyacq.OutputStream(struct('shape', [-1 3]));
  expect_error(@() out.configure(tcp_params('float32', [-1 4])), 'pyacq:params');
  out.configure(tcp_params('float32', [-1 4]), 'shape', [-1 3], 'dtype', 'logical', 'custom_key', 'kept');
  p = out.params();
  check(strcmp(p.dtype, 'bool') && isequal(p.shape(:).', [-1 3]) && strcmp(p.custom_key, 'kept'), 'params %s', ...
        out.paramsJson());
  in.connect(p);                            % a params struct works too
  out.waitForSubscribers(1, 10000);
  x = sample_values('logical', [3 9]);      % channels-by-samples on the input side
  out.send(x.');
  [~, y] = in.recv(5000);
  check_equal(y, x, 'logical chunk, orientations differ between the two ends');
  out2 = pyacq.OutputStream('{"shape": [-1, 2]}', 'Orientation', 'channels-by-samples');
  out2.configure('{"protocol": "inproc", "dtype": "int8", "shape": [-1, 2]}');
  check(strcmp(out2.params().protocol, 'inproc'), 'JSON spec and params');
end

function t_readme_example()
  out = pyacq.OutputStream();
  out.configure('protocol', 'tcp', 'interface', '127.0.0.1', 'port', '*', ...
                'dtype', 'float32', 'shape', [-1 16], 'sample_rate', 1000);
  in = pyacq.InputStream();
  in.connect(out);
  in.setBuffer(10000);
  out.waitForSubscribers(1, 5000);
  out.send(single(randn(256, 16)));
  [index, data] = in.recv(1000);
  last = in.getData(100);
  check(index == 256 && isa(data, 'single') && isequal(size(data), [256 16]), 'recv');
  check_equal(last, data(157:end, :), 'getData');
end

function t_lifecycle()
  n0 = numel(pyacq_mex('handles'));
  out = pyacq.OutputStream();
  out.configure(tcp_params('float32', [-1 2]));
  in = pyacq.InputStream();
  in.connect(out);
  in.setBuffer(16);
  rb = pyacq.RingBuffer([8 2]);
  check(numel(pyacq_mex('handles')) == n0 + 3, 'three handles');
  buf = in.buffer();
  check(numel(pyacq_mex('handles')) == n0 + 4, 'buffer() adds a reference');
  out.waitForSubscribers(1, 10000);
  out.send(single([1 2; 3 4]));
  in.recv(5000);
  clear in;
  check(numel(pyacq_mex('handles')) == n0 + 3, 'clear releases the input');
  check_equal(buf.getData(2), single([1 2; 3 4]), 'buffer outlives the input');
  delete(rb);
  out.close();
  clear out buf;
  check(numel(pyacq_mex('handles')) == n0, 'all released');
  % objects in containers and temporaries
  c = {pyacq.RingBuffer([4 1]), pyacq.RingBuffer([4 1])};
  check(numel(pyacq_mex('handles')) == n0 + 2, 'cell of objects');
  c = [];
  check(numel(pyacq_mex('handles')) == n0, 'cell cleared');
end

function t_mexlock()
  rb = pyacq.RingBuffer([8 1], 'int32');
  rb.newChunk(int32([1; 2; 3]));
  clear pyacq_mex;
  clear mex;
  check(rb.index() == 3, 'handle valid after clear mex');
  check_equal(rb.getData(3), int32([1; 2; 3]), 'data after clear mex');
end

function [a, b] = call_two_outputs(varargin)
  [a, b] = pyacq_mex(varargin{:});
end

function [index, data] = recv_two(in, timeout)
  % recv asking for the data too (an anonymous function called as a statement has nargout 0)
  [index, data] = in.recv(timeout);
end

function t_timestamps()
  [out, in] = connected_pair(tcp_params('float32', [-1 2]));
  o = in.clockOffset(5000);
  check(abs(o.offset) <= o.uncertainty + 1e-9, 'same-process offset %g outside +-%g', o.offset, o.uncertainty);
  check(o.probes == 8 && o.round_trip >= 0, 'probes %d round trip %g', o.probes, o.round_trip);
  before = pyacq_mex('clock_now');
  out.send(single([1 2; 3 4]));
  in.recv(5000);
  [t, raw] = in.lastTimestamp();
  check(raw >= before && raw <= pyacq_mex('clock_now'), 'stamp %g not taken at send', raw);
  check(abs(t - (raw - o.offset)) < 1e-9, 'local %g vs raw %g', t, raw);
  delete(in);
  delete(out);
end
