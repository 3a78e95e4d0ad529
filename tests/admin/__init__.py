"""Tests of the administration pages and the services behind them."""
