"""flywayx.plan"""
