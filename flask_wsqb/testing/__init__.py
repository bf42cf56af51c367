"""A faithful QuickBooks Online emulator for tests, benchmarks and local development.

Independent of the rest of flask_wsqb: it needs only werkzeug.
"""

from .emulator import QBOEmulator
from .faults import ApiFault

__all__ = ["ApiFault", "QBOEmulator"]
