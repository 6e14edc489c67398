"""flywayx.db"""
