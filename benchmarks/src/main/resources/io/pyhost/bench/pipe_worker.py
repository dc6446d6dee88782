# A CPython worker process for the process-pool peer: requests and replies are length-prefixed
# JSON over stdin/stdout. Compiled code is cached by source, as pyhost caches it per interpreter.
import importlib
import json
import sys

_in = sys.stdin.buffer
_out = sys.stdout.buffer
_globals = {'__name__': '__worker__'}
_code = {}


def _compiled(source, mode):
    key = (source, mode)
    code = _code.get(key)
    if code is None:
        if len(_code) >= 1024:
            _code.clear()
        code = _code[key] = compile(source, '<pipe>', mode)
    return code


def _reply(payload):
    data = json.dumps(payload).encode()
    _out.write(len(data).to_bytes(4, 'big') + data)
    _out.flush()


_reply(['ready', sys.version.split()[0]])
while True:
    header = _in.read(4)
    if len(header) < 4:
        break
    op, *args = json.loads(_in.read(int.from_bytes(header, 'big')))
    try:
        if op == 'eval':
            value = eval(_compiled(args[0], 'eval'), _globals)
        elif op == 'exec':
            exec(_compiled(args[0], 'exec'), _globals)
            value = None
        elif op == 'call':
            module, function, call_args = args
            target = _globals[function] if not module else getattr(importlib.import_module(module), function)
            value = target(*call_args)
        else:
            raise ValueError('unknown op %r' % op)
        _reply(['ok', value])
    except Exception as e:
        _reply(['error', '%s: %s' % (type(e).__name__, e)])
