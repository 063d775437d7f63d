"""One django-ninja API assembled from the rooms' routers."""
