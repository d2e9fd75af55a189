from wagtail import hooks

from .viewsets import RegisterViewSetGroup


@hooks.register("register_admin_viewset")
def register_register_viewsets():
    return RegisterViewSetGroup()
