function nfailed = test_local(filter)
%TEST_LOCAL  Local nodes in the Octave/MATLAB process: a whole graph NumpyDeviceBuffer ->
%   SosFilter -> AnalogTrigger -> TriggerAccumulator plus a RawRecorder, with the filtered
%   samples checked against filter(), and bad input. Prints "test_local: N passed, M failed".
  if nargin < 1
    filter = '';
  end
  tests = {
    'local: NumpyDeviceBuffer -> SosFilter -> AnalogTrigger -> TriggerAccumulator + RawRecorder', @t_local_graph
    'local: unknown node type, bad keyword, unknown method', @t_local_errors
    'devices: audio and video device listings', @t_device_listings
    'in place: sendInPlace writes the chunk once (plaindata and sharedmem)', @t_send_in_place
  };
  nfailed = run_suite('test_local', tests, filter);
end

function t_local_graph()
  nchan = 2; chunk = 40; nchunks = 30;
  inproc = {'protocol', 'inproc', 'transfermode', 'plaindata'};
  dev = pyacq.Node.local('NumpyDeviceBuffer', 'dev');
  check(dev.isLocal(), 'the node is local');
  dev.configure('nb_channel', nchan, 'sample_interval', 0.0005, 'chunksize', chunk);
  devOut = dev.output();
  devOut.configure(inproc{:});

  % butter(2, 0.1) as one second-order section [b a]
  b = [0.020083365564211 0.040166731128423 0.020083365564211];
  a = [1.0 -1.561018075800718 0.641351538057563];
  filt = pyacq.Node.local('SosFilter');
  filt.configure('coefficients', [b a]);
  filtIn = filt.input();
  filtIn.connect(devOut);
  filtOut = filt.output();
  filtOut.configure(inproc{:});

  trig = pyacq.Node.local('AnalogTrigger');
  trig.configure();
  trigIn = trig.input();
  trigIn.connect(filtOut);
  events = trig.output();
  events.configure(inproc{:});
  trig.call('params.__setitem__', 'threshold', 0.5);
  check(trig.call('params.__getitem__', 'threshold') == 0.5, 'threshold read back');

  acc = pyacq.Node.local('TriggerAccumulator');
  acc.configure('max_stack_size', 4);
  acc.call('params.__setitem__', 'left_sweep', -0.01);   % short sweeps: every stack fills in time
  acc.call('params.__setitem__', 'right_sweep', 0.05);
  acc.call('params.__setitem__', 'stack_size', 2);
  accSignals = acc.input('signals');
  accSignals.connect(filtOut);
  accEvents = acc.input('events');
  accEvents.connect(events);

  dirname = [tempname() '_rec'];
  rec = pyacq.Node.local('RawRecorder');
  rec.configure('dirname', dirname, 'streams', struct('filtered', struct('pyacq_raw_json__', filtOut.paramsJson())));

  raw = pyacq.InputStream(); raw.connect(devOut);
  filtered = pyacq.InputStream(); filtered.connect(filtOut);
  nodes = {rec, acc, trig, filt, dev};
  for k = 1:numel(nodes), nodes{k}.initialize(); end
  for k = 1:numel(nodes), nodes{k}.start(); end
  x = zeros(0, nchan); y = zeros(0, nchan);
  for k = 1:nchunks
    [i1, d1] = raw.recv(10000);
    [i2, d2] = filtered.recv(10000);
    check(i1 == k * chunk && i2 == i1, 'indexes %d %d at chunk %d', i1, i2, k);
    x = [x; double(d1)]; %#ok<AGROW>
    y = [y; double(d2)]; %#ok<AGROW>
  end
  for k = numel(nodes):-1:1, nodes{k}.stop(); end
  expected = filter(b, a, x);
  check(max(abs(expected(:) - y(:))) < 1e-5, 'filtered samples differ from filter() by %g', max(abs(expected(:) - y(:))));
  check(acc.get('total_trig') >= 1, 'total_trig %d', acc.get('total_trig'));
  stack = acc.get('stack');
  check(isequal(size(stack), [2 nchan 120]), 'stack size %s (2 sweeps x channels x 60 ms at 2 kHz)', mat2str(size(stack)));
  for k = 1:numel(nodes), nodes{k}.close(); end
  info = dir(fullfile(dirname, 'filtered.raw'));
  check(numel(info) == 1 && info.bytes >= nchunks * chunk * nchan * 4, 'recording of %d bytes', sum([info.bytes]));
  clear raw filtered accSignals accEvents trigIn filtIn devOut filtOut events
  clear nodes rec acc trig filt dev
  confirm_recursive_rmdir(false, 'local');
  rmdir(dirname, 's');
end

function t_local_errors()
  expect_error(@() pyacq.Node.local('NoSuchNodeType'), 'pyacq:params', 'SosFilter');
  node = pyacq.Node.local('SosFilter');
  expect_error(@() node.configure('no_such_keyword', 1), 'pyacq:params', 'no_such_keyword');
  expect_error(@() node.call('no_such_method'), 'pyacq:argument', 'no_such_method');
  expect_error(@() node.start(), 'pyacq:state', 'start');
  clear node
end

function t_device_listings()
  audio = pyacq.audioDevices();
  check(isstruct(audio), 'audio devices: a struct array');
  if ~isempty(audio)
    check(all(isfield(audio, {'index', 'name', 'maxInputChannels', 'defaultSampleRate'})), 'pyaudio''s fields');
  end
  cameras = pyacq.videoDevices();
  check(isstruct(cameras), 'video devices: a struct array');
end

function t_send_in_place()
  modes = {{'transfermode', 'plaindata'}, {'transfermode', 'sharedmem', 'buffer_size', 64}};
  for m = 1:numel(modes)
    [out, in] = connected_pair(tcp_params('float32', [-1 3], modes{m}{:}));
    x = single(reshape(1:30, 10, 3));
    out.sendInPlace(x);
    out.sendInPlace(x * 2);
    [i1, d1] = in.recv(10000);
    [i2, d2] = in.recv(10000);
    check(i1 == 10 && i2 == 20, '%s: indexes %d %d', modes{m}{2}, i1, i2);
    check(isequal(d1, x) && isequal(d2, x * 2), '%s: data differs', modes{m}{2});
    expect_error(@() out.sendInPlace(double(x)), 'pyacq:dtype', 'float32');
    clear out in
  end
end
