"""flywayx.cli"""
