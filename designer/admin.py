from django.contrib import admin

from designer.models import Agent, Deployment, Design, DesignVersion, ProbeResult


class DesignVersionInline(admin.TabularInline):
    model = DesignVersion
    fields = ("number", "created")
    readonly_fields = ("number", "created")
    extra = 0
    can_delete = False


@admin.register(Design)
class DesignAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "updated")
    list_filter = ("owner",)
    search_fields = ("name",)
    inlines = [DesignVersionInline]


@admin.register(DesignVersion)
class DesignVersionAdmin(admin.ModelAdmin):
    list_display = ("design", "number", "created")
    readonly_fields = ("created",)


@admin.register(Deployment)
class DeploymentAdmin(admin.ModelAdmin):
    list_display = ("id", "design", "version", "sandbox", "state", "started", "finished")
    list_filter = ("state", "sandbox")
    readonly_fields = ("id", "created")


@admin.register(Agent)
class AgentAdmin(admin.ModelAdmin):
    """Grants: the users and groups that may deploy to a real-host agent (designer.grants)."""

    list_display = ("name", "last_seen", "sandbox")
    fields = ("name", "sandbox", "last_seen", "users", "groups", "facts")
    readonly_fields = ("name", "sandbox", "last_seen", "facts")
    filter_horizontal = ("users", "groups")

    def has_add_permission(self, request) -> bool:
        return False  # an agent appears with its first heartbeat


@admin.register(ProbeResult)
class ProbeResultAdmin(admin.ModelAdmin):
    list_display = ("deployment", "src", "dst", "dst_ip", "expected", "observed", "rtt_ms")
    list_filter = ("observed", "expected")
