"""flywayx.sources"""
