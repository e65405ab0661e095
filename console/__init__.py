"""The console app shell: QApplication + qasync loop, main window, sign-in, settings and wiring."""
