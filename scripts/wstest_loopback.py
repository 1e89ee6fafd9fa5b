# Runs Autobahn's `wstest`, with its WebSocket listener bound to 127.0.0.1 only.
#
# Stock wstest 25.10.1 listens on all interfaces and has no option for that: its fuzzing server
# calls autobahn's listenWS(factory, context) with the default interface ''. This launcher
# replaces that function, inside this process only, by one that binds 127.0.0.1, then hands
# over to wstest's own command line. The installed package is not modified.
#
# Python 2.7, inside the suite's virtualenv: python wstest_loopback.py -m fuzzingserver ...
# (scripts/autobahn.sh runs it; run with -u 0 so that the extra web server stays off.)
import sys

from autobahntestsuite import fuzzing, wstest

_listen_ws = fuzzing.listenWS


def listen_ws_on_loopback(factory, contextFactory=None, backlog=50, interface=''):
    return _listen_ws(factory, contextFactory, backlog, interface='127.0.0.1')


fuzzing.listenWS = listen_ws_on_loopback

if __name__ == '__main__':
    sys.argv[0] = 'wstest'
    sys.exit(wstest.run())
