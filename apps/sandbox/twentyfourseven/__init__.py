"""A faithful 24SevenOffice SOAP emulator ("the sandbox") served under /sandbox/24so/."""
