from django.templatetags.static import static
from django.utils.html import format_html
from wagtail import hooks


@hooks.register("insert_global_admin_js")
def admin_init_js():
    # Starts Wagtail's widgets without inline scripts (Content-Security-Policy), see portal/csp.py.
    return format_html('<script src="{}"></script>', static("js/admin-init.js"))


@hooks.register("insert_global_admin_css")
def admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))
