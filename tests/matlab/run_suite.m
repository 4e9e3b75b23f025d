function nfailed = run_suite(suite, tests, filter, after_each)
%RUN_SUITE  Runs TESTS (n x 2 cell: name, function handle) whose name contains FILTER.
%   Prints "PASS name (t s)" / "FAIL name: reason" per test, then "SUITE: N passed, M failed"
%   (tests/matlab/run.sh counts these lines). After each test, handles the test left in the
%   gateway's table are a failure (and are released); AFTER_EACH (optional function handle)
%   runs then too and may raise to fail the test.
  if nargin < 3
    filter = '';
  end
  if nargin < 4
    after_each = [];
  end
  passed = 0;
  nfailed = 0;
  for k = 1:size(tests, 1)
    name = tests{k, 1};
    if ~isempty(filter) && isempty(strfind(name, filter))
      continue;
    end
    before = pyacq_mex('handles');
    t0 = tic;
    try
      tests{k, 2}();
      leaked = setdiff(pyacq_mex('handles'), before);
      check(isempty(leaked), '%d handle(s) still live after the test', numel(leaked));
      if ~isempty(after_each)
        after_each();
      end
      passed = passed + 1;
      fprintf('PASS %s (%.2f s)\n', name, toc(t0));
    catch err
      nfailed = nfailed + 1;
      where = '';
      if ~isempty(err.stack)
        where = sprintf(' [%s:%d]', err.stack(1).name, err.stack(1).line);
      end
      fprintf('FAIL %s: %s (%s)%s\n', name, err.message, err.identifier, where);
      release_handles_since(before);
    end
  end
  fprintf('%s: %d passed, %d failed\n', suite, passed, nfailed);
end
