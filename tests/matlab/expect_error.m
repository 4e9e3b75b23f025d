function err = expect_error(fn, id, pattern)
%EXPECT_ERROR  Runs FN and checks that it raises an error with identifier ID (a string, or a
%   cell of accepted identifiers; one ending in '*' accepts every identifier it starts, e.g.
%   'pyacq:remote:*') and, optionally, a message matching regexp PATTERN.
  if ischar(id)
    id = {id};
  end
  try
    fn();
  catch err
    check(any(cellfun(@(i) id_matches(err.identifier, i), id)), 'expected error %s, got "%s": %s', strjoin(id, ' or '), ...
          err.identifier, err.message);
    if nargin > 2
      check(~isempty(regexp(err.message, pattern, 'once')), 'error message "%s" does not match /%s/', ...
            err.message, pattern);
    end
    return;
  end
  error('test:check', 'expected error %s, but the call succeeded', strjoin(id, ' or '));
end

function tf = id_matches(identifier, expected)
  if ~isempty(expected) && expected(end) == '*'
    tf = strncmp(identifier, expected, numel(expected) - 1);
  else
    tf = strcmp(identifier, expected);
  end
end
