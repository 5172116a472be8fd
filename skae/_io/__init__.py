"""Saving, loading and exporting fitted estimators, without pickle.

Below the estimators: the classes to load are handed in by the estimators'
registry (``skae._estimators.registry``), never imported from here.
"""
