function release_handles_since(before, strict)
%RELEASE_HANDLES_SINCE  Destroys the gateway handles created since BEFORE (pyacq_mex('handles')
%   then): consumers first, managers last (which closes their node group processes), so later
%   leak checks stay meaningful. A failing destroy is ignored, unless STRICT (default false)
%   is true: then it raises.
  if nargin < 2
    strict = false;
  end
  [ids, kinds] = pyacq_mex('handles');
  order = {'input stream', 'output stream', 'ring buffer', 'node stream', 'node', 'node group', 'host', ...
           'proxy', 'manager'};
  commands = {'input_destroy', 'output_destroy', 'ringbuffer_destroy', 'stream_destroy', 'node_destroy', ...
              'nodegroup_destroy', 'host_destroy', 'proxy_destroy', 'manager_destroy'};
  for o = 1:numel(order)
    for k = 1:numel(ids)
      if ~any(before == ids(k)) && strcmp(kinds{k}, order{o})
        try
          pyacq_mex(commands{o}, ids(k));
        catch err
          if strict
            rethrow(err);
          end
        end
      end
    end
  end
end
