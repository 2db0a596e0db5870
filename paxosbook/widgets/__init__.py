"""ipywidgets panels that wire controls to ``paxosbook.simulate`` and ``paxosbook.views``.

* ``Explorer``: sliders for a ``Config`` and a seed, a fault-schedule editor, a summary and a
  reproduce line, and the run's figures updated in place.
* ``RunViewer``: one run's figures with a time cursor (scrubber, step back / forward).
* ``ClusterPanel``: a real cluster (``paxosbook.net``) with kill -9 and restart buttons per
  node and its merged trace and messages per second drawn live.
* ``Compare``: one set of fault controls driving the four replicated-log strategies at once.
* ``Stepper``: the reader is the network (``paxosbook.stepper``; usable without a browser);
  ``StepperWidget``: its panel (buttons per pending message, badges, history, share line).
"""

from ..stepper import Stepper
from .cluster import ClusterPanel
from .compare import Compare
from .explorer import CONTROL_FIELDS, DEFAULT_CONFIG, Explorer
from .faults import format_crashes, format_partitions, parse_crashes, parse_partitions
from .figures import show_spec, update_figure
from .stepper import StepperWidget
from .text import reproduce, summary_html
from .viewer import RunViewer

__all__ = ["CONTROL_FIELDS", "DEFAULT_CONFIG", "ClusterPanel", "Compare", "Explorer", "RunViewer",
           "Stepper", "StepperWidget",
           "format_crashes", "format_partitions", "parse_crashes", "parse_partitions",
           "reproduce", "show_spec", "summary_html", "update_figure"]
