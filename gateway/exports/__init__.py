"""Exports: tables as CSV and XLSX with Chinese headers; service-record certificates as PDF."""
