"""The classroom in the admin site: classes with their members, exercises, attempts."""

from django.contrib import admin

from classroom.models import Attempt, Classroom, Exercise, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "instructor", "max_hosts", "max_containers", "max_deploys", "created")
    readonly_fields = ("code", "created")
    inlines = [MembershipInline]


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin):
    list_display = ("title", "classroom", "opened")
    list_filter = ("classroom",)


@admin.register(Attempt)
class AttemptAdmin(admin.ModelAdmin):
    list_display = ("student", "exercise", "design", "created")
    list_filter = ("exercise",)
