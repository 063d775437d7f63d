from celltrial.core.rooms import RoomConfig


class ProductConfig(RoomConfig):
    name = "celltrial.product"
    label = "product"
    default = True
    verbose_name = "Product"
    permissions = "celltrial.product.permissions:PERMISSIONS"
    urls = "celltrial.product.urls"
    url_prefix = "product/"
    api = "celltrial.product.api:router"
    api_prefix = "product"
    navigation = "celltrial.product.navigation:ENTRIES"
