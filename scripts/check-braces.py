#!/usr/bin/env python3
"""Braces on every if/else/for/while body (the project style, .clang-format; clang-format 14
cannot insert them). Prints FILE:LINE for each body without braces; exit 1 if any."""
import re, sys

CTRL = re.compile(r'^\s*(?:\}\s*)?(?:else\s+)?(if|for|while|switch)\s*\(')
ELSE = re.compile(r'^\s*(?:\}\s*)?else\s*$')

def strip(line):
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])*'", "''", line)
    line = re.sub(r'/\*.*?\*/', '', line)
    return re.sub(r'//.*', '', line)

bad = 0
for path in sys.argv[1:]:
    lines = open(path, encoding='utf-8', errors='replace').read().split('\n')
    in_comment = False
    i = 0
    while i < len(lines):
        raw = lines[i]
        s = raw
        if in_comment:
            if '*/' not in s:
                i += 1
                continue
            s = s[s.index('*/') + 2:]
            in_comment = False
        s = strip(s)
        if '/*' in s:
            s = s[:s.index('/*')]
            in_comment = True
        start = i
        if ELSE.match(s):
            print('%s:%d: else without a brace' % (path, i + 1))
            bad += 1
        elif CTRL.match(s):
            depth, tail, rest = 0, s, None
            while True:
                for k, ch in enumerate(tail):
                    if ch == '(':
                        depth += 1
                    elif ch == ')':
                        depth -= 1
                        if depth == 0:
                            rest = tail[k + 1:].strip()
                            break
                if rest is not None or i + 1 >= len(lines):
                    break
                i += 1
                tail = strip(lines[i])
            # the body opens a brace; `} while (x);` ends a do-while
            if rest is not None and not rest.startswith('{') and rest != ';':
                print('%s:%d: body without braces' % (path, start + 1))
                bad += 1
        i += 1
sys.exit(1 if bad else 0)
