// ServiceRoot, /redfish, OData service document and $metadata: the unauthenticated entry points.
#include "redfish/service.hpp"

namespace mb::redfish {

namespace {

const char* kSchemas[][2] = {
    {"ServiceRoot", "v1_15_0"},   {"ComputerSystemCollection", ""}, {"ComputerSystem", "v1_20_0"},
    {"ChassisCollection", ""},    {"Chassis", "v1_23_0"},           {"ManagerCollection", ""},
    {"Manager", "v1_17_0"},       {"SessionService", "v1_1_9"},     {"SessionCollection", ""},
    {"Session", "v1_7_0"},        {"AccountService", "v1_13_0"},    {"ManagerAccountCollection", ""},
    {"ManagerAccount", "v1_10_0"}, {"RoleCollection", ""},          {"Role", "v1_3_1"},
    {"ProcessorCollection", ""},  {"Processor", "v1_18_0"},         {"EthernetInterfaceCollection", ""},
    {"EthernetInterface", "v1_9_0"}, {"SimpleStorageCollection", ""}, {"SimpleStorage", "v1_3_1"},
    {"Bios", "v1_2_0"},           {"UpdateService", "v1_11_0"},     {"SoftwareInventoryCollection", ""},
    {"SoftwareInventory", "v1_9_0"}, {"TaskService", "v1_2_0"},     {"TaskCollection", ""},
    {"Task", "v1_7_0"},           {"Message", "v1_1_1"},            {"Settings", "v1_3_5"},
    {"Resource", "v1_14_0"},
};

}  // namespace

void register_service_root(Service& s) {
    s.route("/redfish", "GET", Privilege::none, [](Context&, Reply& r) { r.body = ojson{{"v1", "/redfish/v1/"}}; });

    s.route("/redfish/v1", "GET", Privilege::none, [](Context& c, Reply& r) {
        auto& b = r.body;
        b["@odata.id"] = "/redfish/v1";
        b["@odata.type"] = "#ServiceRoot.v1_15_0.ServiceRoot";
        b["Id"] = "RootService";
        b["Name"] = "Metal Boot Redfish Service";
        b["RedfishVersion"] = "1.17.0";
        b["UUID"] = c.service.config().service_uuid;
        b["Vendor"] = "Metal Boot";
        b["Product"] = "mb-redfish";
        b["ProtocolFeaturesSupported"] = {{"ExpandQuery", {{"ExpandAll", false}, {"Levels", false}, {"Links", false}, {"NoLinks", false}}},
                                          {"FilterQuery", false},
                                          {"SelectQuery", false},
                                          {"OnlyMemberQuery", false},
                                          {"ExcerptQuery", false}};
        b["Systems"] = odata_link("/redfish/v1/Systems");
        b["Chassis"] = odata_link("/redfish/v1/Chassis");
        b["Managers"] = odata_link("/redfish/v1/Managers");
        b["SessionService"] = odata_link("/redfish/v1/SessionService");
        b["AccountService"] = odata_link("/redfish/v1/AccountService");
        b["UpdateService"] = odata_link("/redfish/v1/UpdateService");
        b["Tasks"] = odata_link("/redfish/v1/TaskService");
        b["Links"] = {{"Sessions", odata_link("/redfish/v1/SessionService/Sessions")}};
    });

    s.route("/redfish/v1/odata", "GET", Privilege::none, [](Context&, Reply& r) {
        ojson values = ojson::array();
        for (const char* n : {"Systems", "Chassis", "Managers", "SessionService", "AccountService", "UpdateService",
                              "TaskService"})
            values.push_back({{"name", n}, {"kind", "Singleton"}, {"url", std::string("/redfish/v1/") + n}});
        values.push_back({{"name", "Service"}, {"kind", "Singleton"}, {"url", "/redfish/v1/"}});
        r.body = {{"@odata.context", "/redfish/v1/$metadata"}, {"value", values}};
    });

    s.route("/redfish/v1/$metadata", "GET", Privilege::none, [](Context&, Reply& r) {
        std::string x =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n";
        for (auto& sc : kSchemas) {
            std::string name = sc[0], ver = sc[1];
            x += "  <edmx:Reference Uri=\"http://redfish.dmtf.org/schemas/v1/" + name + "_v1.xml\">\n";
            x += "    <edmx:Include Namespace=\"" + name + "\"/>\n";
            if (!ver.empty()) x += "    <edmx:Include Namespace=\"" + name + "." + ver + "\"/>\n";
            x += "  </edmx:Reference>\n";
        }
        x += "  <edmx:DataServices>\n"
             "    <Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"Service\">\n"
             "      <EntityContainer Name=\"Service\" Extends=\"ServiceRoot.v1_15_0.ServiceContainer\"/>\n"
             "    </Schema>\n"
             "  </edmx:DataServices>\n"
             "</edmx:Edmx>\n";
        r.body = x;
        r.header("Content-Type", "application/xml");
    });
}

}  // namespace mb::redfish
