#include "libwbxml_peer.hpp"

#include <wbxml.h>
#include <wbxml_conv.h>

#include <cstdlib>

namespace eas::peer {

LibwbxmlResult libwbxml_to_xml(std::string_view wbxml, bool indent) {
    LibwbxmlResult result;
    WBXMLConvWBXML2XML* conv = nullptr;
    if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK) {
        result.error = "cannot create a libwbxml converter";
        return result;
    }
    wbxml_conv_wbxml2xml_set_language(conv, WBXML_LANG_ACTIVESYNC);
    wbxml_conv_wbxml2xml_set_gen_type(conv, indent ? WBXML_GEN_XML_INDENT : WBXML_GEN_XML_COMPACT);
    wbxml_conv_wbxml2xml_enable_preserve_whitespaces(conv);
    WB_UTINY* xml = nullptr;
    WB_ULONG xml_len = 0;
    // libwbxml takes a non-const pointer but does not write through it.
    const WBXMLError err =
        wbxml_conv_wbxml2xml_run(conv, reinterpret_cast<WB_UTINY*>(const_cast<char*>(wbxml.data())),
                                 static_cast<WB_ULONG>(wbxml.size()), &xml, &xml_len);
    wbxml_conv_wbxml2xml_destroy(conv);
    if (err != WBXML_OK) {
        result.error = reinterpret_cast<const char*>(wbxml_errors_string(err));
        std::free(xml);
        return result;
    }
    result.ok = true;
    result.output.assign(reinterpret_cast<const char*>(xml), xml_len);
    std::free(xml);
    return result;
}

LibwbxmlResult libwbxml_to_wbxml(std::string_view xml) {
    LibwbxmlResult result;
    WBXMLConvXML2WBXML* conv = nullptr;
    if (wbxml_conv_xml2wbxml_create(&conv) != WBXML_OK) {
        result.error = "cannot create a libwbxml converter";
        return result;
    }
    wbxml_conv_xml2wbxml_disable_string_table(conv);
    wbxml_conv_xml2wbxml_disable_public_id(conv);
    wbxml_conv_xml2wbxml_enable_preserve_whitespaces(conv);
    WB_UTINY* out = nullptr;
    WB_ULONG out_len = 0;
    const WBXMLError err =
        wbxml_conv_xml2wbxml_run(conv, reinterpret_cast<WB_UTINY*>(const_cast<char*>(xml.data())),
                                 static_cast<WB_ULONG>(xml.size()), &out, &out_len);
    wbxml_conv_xml2wbxml_destroy(conv);
    if (err != WBXML_OK) {
        result.error = reinterpret_cast<const char*>(wbxml_errors_string(err));
        std::free(out);
        return result;
    }
    result.ok = true;
    result.output.assign(reinterpret_cast<const char*>(out), out_len);
    std::free(out);
    return result;
}

}  // namespace eas::peer
