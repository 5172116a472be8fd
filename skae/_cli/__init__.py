"""The ``skae`` command's parts: its CSV input/output, parser, model files and demo.

``skae.cli`` holds the commands themselves; nothing below the command line
imports from here.
"""
